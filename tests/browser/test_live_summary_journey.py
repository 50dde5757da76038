"""The summary participants agree to, in a browser: the facilitator drafts it with two quotes,
a quoted member withdraws theirs, the 48 hours pass (the quote times are moved back in the live
app's database), the facilitator publishes, and the resource thread shows no names. axe on the
draft page, the quoted member's page and the published thread."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import DESKTOP, format_violations, require_path, run_axe

pytestmark = pytest.mark.browser

SETUP_CODE = """
import json
from datetime import timedelta
from django.utils import timezone
from community.models import Space, User
from realtime.models import LiveEvent, LiveSession
space = Space.objects.get(slug='safe-spaces')
facilitator = User.objects.get(email='facilitator@example.org')
member = User.objects.get(email='member@example.org')
other = User.objects.get(email='newcomer@example.org')
now = timezone.now()
session = LiveSession.objects.create(
    space=space, title='Summary journey {word}', starts_at=now - timedelta(hours=2),
    ends_at=now - timedelta(hours=1), status='ended', ended_at=now - timedelta(hours=1),
)
session.facilitators.add(facilitator)
for seq, (author, body) in enumerate([
    (member, 'Mine to withdraw {word}'),
    (other, 'Kept words {word}'),
    (member, 'Not picked {word}'),
], start=1):
    LiveEvent.objects.create(session=session, seq=seq, kind='message', author=author,
                             body=body, body_html='<p>' + body + '</p>')
session.last_seq = 3
session.save()
print(json.dumps({{'session': session.pk, 'names': [facilitator.display_name,
                  member.display_name, other.display_name]}}))
"""

AGE_CODE = """
from datetime import timedelta
from django.utils import timezone
from realtime.models import LiveSummary, SummaryQuote
back = timezone.now() - timedelta(hours=49)
LiveSummary.objects.filter(session_id={session}).update(created_at=back)
SummaryQuote.objects.filter(summary__session_id={session}).update(added_at=back)
"""


def assert_accessible(page) -> None:
    violations = run_axe(page)
    assert not violations, format_violations(violations)


def test_summary_is_drafted_one_quote_withdrawn_then_published_without_names(new_context, live_app):
    require_path(live_app, "/live/", "live sessions")
    word = uuid.uuid4().hex[:8]
    ids = json.loads(live_app.shell(SETUP_CODE.format(word=word)).strip().splitlines()[-1])
    session = ids["session"]

    # The facilitator drafts: themes and two quotes, shown without names.
    facilitator = new_context("facilitator@example.org", viewport=DESKTOP).new_page()
    facilitator.goto(f"/live/{session}/summary/")
    expect(facilitator.get_by_role("heading", level=1)).to_contain_text("Summary of")
    for name in ids["names"]:
        expect(facilitator.locator("main")).not_to_contain_text(name)
    assert_accessible(facilitator)
    facilitator.get_by_label("Themes").fill("Being **heard**, and acting together")
    facilitator.get_by_label(f"Mine to withdraw {word}").check()
    facilitator.get_by_label(f"Kept words {word}").check()
    facilitator.get_by_role("button", name="Save the draft and tell those quoted").click()
    expect(facilitator.locator("#live-summary-window")).to_contain_text("can be published from")
    expect(facilitator.get_by_role("button", name="Publish")).to_have_count(0)

    # The quoted member is told in-app and withdraws their quote.
    # Members on daphne process B (services mode), the facilitator on A.
    member = new_context("member@example.org", viewport=DESKTOP, base_url=live_app.url_b).new_page()
    member.goto("/notifications/")
    expect(member.locator("main")).to_contain_text(f"/live/{session}/summary/quotes/")
    member.goto(f"/live/{session}/summary/quotes/")
    expect(member.locator("main")).to_contain_text(f"Mine to withdraw {word}")
    expect(member.locator("main")).not_to_contain_text(f"Kept words {word}")
    assert_accessible(member)
    member.get_by_role("button", name="Withdraw quote 1").click()
    expect(member.locator("main")).to_contain_text("Your quote is withdrawn")
    expect(member.get_by_role("button", name="Withdraw quote 1")).to_have_count(0)

    # The 48 hours pass; the facilitator publishes.
    live_app.shell(AGE_CODE.format(session=session))
    facilitator.reload()
    facilitator.get_by_role("button", name="Publish").click()
    expect(facilitator.locator("#live-summary-published")).to_contain_text("published")
    facilitator.get_by_role("link", name="Read the summary").click()

    # The resource thread: themes and the kept quote, not the withdrawn one, and no names.
    reader = new_context("member@example.org", viewport=DESKTOP, base_url=live_app.url_b).new_page()
    reader.goto(urlsplit(facilitator.url).path)
    main = reader.locator("main")
    expect(main).to_contain_text("acting together")
    expect(main).to_contain_text(f"Kept words {word}")
    expect(main).not_to_contain_text(f"Mine to withdraw {word}")
    expect(main).not_to_contain_text(f"Not picked {word}")
    for name in ids["names"]:
        expect(main).not_to_contain_text(name)
    assert_accessible(reader)
