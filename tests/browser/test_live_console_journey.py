"""The facilitator's console, with a facilitator and two members each in their own browser
(member@ and member2@: test_live_journey.py leaves member1@ muted in the shared app):
the controls follow the session's state, every status line follows it too, a poll's results
reach members only from the fifth vote, a repeated upvote is refused beside the question, a
flag is acknowledged and reaches the facilitator's reports, the speaking queue works from the
keyboard, and axe finds nothing serious on the console."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import format_violations, require_path, run_axe

pytestmark = pytest.mark.browser

NEW_SESSION = """
import json
from datetime import timedelta
from django.utils import timezone
from community.models import Space, User
from realtime.models import LiveSession
now = timezone.now()
session = LiveSession.objects.create(
    space=Space.objects.get(slug='safe-spaces'), title={title!r}, status='scheduled',
    starts_at=now, ends_at=now + timedelta(hours=1), chatham_house=False,
    questions_need_approval={held!r})
session.facilitators.add(User.objects.get(email='facilitator@example.org'))
print(json.dumps({{'id': session.pk}}))
"""


@pytest.fixture(autouse=True)
def _live_built(live_app):
    require_path(live_app, "/live/", "live sessions (realtime app)")


@pytest.fixture
def session_url(live_app) -> str:
    code = NEW_SESSION.format(title=f"Console journey {uuid.uuid4().hex[:6]}", held=False)
    session_id = json.loads(live_app.shell(code).strip().splitlines()[-1])["id"]
    return f"/live/{session_id}/"


def enter(new_context, email: str, url: str, base_url: str | None = None):
    """Into the room; members pass ``base_url=live_app.url_b`` (daphne process B in services
    mode), so their frames and the facilitator's (process A) cross processes through Redis."""
    page = new_context(email, base_url=base_url).new_page()
    page.goto(url)
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "connected")
    return page


def transitions(page):
    return page.locator("#live-transitions button:visible")


def vote(page, question: str, option: str) -> None:
    poll = page.locator("#live-polls li").filter(has_text=question)
    poll.get_by_label(option).check()
    poll.get_by_role("button", name="Vote").click()
    expect(poll).to_contain_text(f"You chose “{option}”")


def test_console_follows_the_state_and_runs_a_poll(new_context, session_url, live_app):
    host = enter(new_context, "facilitator@example.org", session_url)
    one = enter(new_context, "member@example.org", session_url, live_app.url_b)
    two = enter(new_context, "member2@example.org", session_url, live_app.url_b)

    # Scheduled: only "Open lobby"; members are told why Send is off, not just "Connected".
    expect(transitions(host)).to_have_text(["Open lobby"])
    expect(one.locator("#live-connection")).to_have_text(
        "The chat opens when the facilitator starts the session."
    )
    expect(one.locator("#live-composer-status")).to_contain_text("The chat opens when")
    expect(one.get_by_role("button", name="Send", exact=True)).to_be_disabled()

    host.get_by_role("button", name="Open lobby").click()
    expect(transitions(host)).to_have_text(["Start"])
    host.get_by_role("button", name="Start").click()
    expect(transitions(host)).to_have_text(["Lock chat", "End"])
    expect(one.get_by_role("button", name="Send", exact=True)).to_be_enabled()
    expect(one.locator("#live-connection")).to_contain_text("Connected")

    # Lock, then unlock: the members' lines follow both ways.
    host.get_by_role("button", name="Lock chat").click()
    expect(transitions(host)).to_have_text(["Unlock chat", "End"])
    expect(one.locator("#live-connection")).to_contain_text("locked the chat")
    expect(one.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    host.get_by_role("button", name="Unlock chat").click()
    expect(transitions(host)).to_have_text(["Lock chat", "End"])
    expect(one.locator("#live-connection")).not_to_contain_text("locked")
    expect(one.locator("#live-composer-status")).to_have_text("")
    expect(one.get_by_role("button", name="Send", exact=True)).to_be_enabled()

    # A poll with one option is refused beside the form, and what was typed is kept.
    question = "How safe does this room feel?"
    host.get_by_label("Question", exact=True).fill(question)
    host.get_by_label("Options, one a line (2 to 6)").fill("Only one")
    host.get_by_role("button", name="Open poll").click()
    expect(host.locator("#live-poll-error")).to_contain_text("A poll needs 2 to 6 options")
    expect(host.get_by_label("Question", exact=True)).to_have_value(question)
    host.get_by_label("Options, one a line (2 to 6)").fill("Very safe\nSafe enough\nNot safe")
    host.get_by_role("button", name="Open poll").click()
    expect(host.get_by_label("Question", exact=True)).to_have_value("")
    for page in (host, one, two):
        expect(page.locator("#live-polls li").filter(has_text=question)).to_be_visible()

    vote(one, question, "Safe enough")
    expect(host.locator("#live-polls")).to_contain_text("1 vote")
    expect(host.locator("#live-polls")).to_contain_text("Safe enough: 1 vote (100%)")
    vote(two, question, "Very safe")
    others = [
        enter(new_context, email, session_url, live_app.url_b)
        for email in ("staff@example.org", "moderator@example.org")
    ]
    for page in others:
        vote(page, question, "Not safe")
    expect(host.locator("#live-polls")).to_contain_text("4 votes")
    # Four votes: members still see no numbers.
    expect(one.locator("#live-polls")).to_contain_text("Results show once 5 people have voted")
    expect(one.locator("#live-polls")).not_to_contain_text("vote (")
    vote(host, question, "Very safe")
    for page in (one, two):
        expect(page.locator("#live-polls")).to_contain_text("5 votes")
        expect(page.locator("#live-polls")).to_contain_text("Very safe: 2 votes (40%)")
    # A second vote changes the first: still five votes in all.
    vote(one, question, "Very safe")
    expect(two.locator("#live-polls")).to_contain_text("Very safe: 3 votes (60%)")
    expect(two.locator("#live-polls")).to_contain_text("5 votes")
    host.get_by_role("button", name=re.compile("^Close poll")).click()
    expect(one.locator("#live-polls")).to_contain_text("final results")
    expect(one.locator("#live-polls li").get_by_role("button", name="Vote")).to_be_disabled()

    violations = run_axe(host)
    assert not violations, format_violations(violations)


def test_console_acknowledges_flags_keeps_upvote_errors_by_the_question_and_runs_the_queue(
    new_context, session_url, live_app
):
    host = enter(new_context, "facilitator@example.org", session_url)
    host.get_by_role("button", name="Open lobby").click()
    host.get_by_role("button", name="Start").click()
    expect(transitions(host)).to_have_text(["Lock chat", "End"])
    one = enter(new_context, "member@example.org", session_url, live_app.url_b)
    two = enter(new_context, "member2@example.org", session_url, live_app.url_b)

    # A question, upvoted twice: the refusal sits by the question, not on the message box.
    two.get_by_label("Your message").fill("What does allyship look like here?")
    two.get_by_label("Ask this as a question").check()
    two.get_by_role("button", name="Send", exact=True).click()
    entry = one.locator("#live-questions li").filter(has_text="allyship")
    entry.get_by_role("button", name=re.compile("^Upvote")).click()
    expect(entry.locator(".forum-live-upvotes")).to_have_text("1")
    entry.get_by_role("button", name=re.compile("^Upvote")).click()
    expect(entry).to_contain_text("You have already upvoted this question.")
    expect(one.locator("#live-body-error")).to_be_hidden()

    # A flag is acknowledged to the flagger and listed for the facilitator, without who.
    one.get_by_label("Your message").fill("Something careless")
    one.keyboard.press("Control+Enter")  # the composer's shortcut
    item = two.locator("#live-stream li").filter(has_text="Something careless")
    expect(item).to_be_visible()
    two.on("dialog", lambda dialog: dialog.accept("personal attack"))
    item.get_by_role("button", name=re.compile("^Flag")).click()
    expect(item).to_contain_text("you flagged this for the moderators")
    expect(host.locator("#live-reports")).to_contain_text("Personal attack")
    expect(host.locator("#live-reports")).not_to_contain_text("Demo Member 2")

    # The speaking queue: in order, with how long each has waited; Alt+Q then L lowers.
    one.get_by_role("button", name="Raise hand").click()
    two.keyboard.press("Alt+h")
    queue = host.locator("#live-hands li")
    expect(queue).to_have_count(2)
    expect(queue.nth(0)).to_contain_text("Mel Chen")
    expect(queue.nth(0)).to_contain_text("waiting less than a minute")
    host.keyboard.press("Alt+q")
    host.keyboard.press("l")
    expect(queue).to_have_count(1)
    expect(queue.nth(0)).to_contain_text("Demo Member 2")
    expect(one.get_by_role("button", name="Raise hand")).to_be_visible()

    violations = run_axe(host)
    assert not violations, format_violations(violations)


def test_held_question_is_approved_and_spotlighted_and_the_backchannel_stays_private(
    new_context, live_app
):
    code = NEW_SESSION.format(title=f"Held journey {uuid.uuid4().hex[:6]}", held=True)
    url = f"/live/{json.loads(live_app.shell(code).strip().splitlines()[-1])['id']}/"
    host = enter(new_context, "facilitator@example.org", url)
    host.get_by_role("button", name="Open lobby").click()
    host.get_by_role("button", name="Start").click()
    expect(transitions(host)).to_have_text(["Lock chat", "End"])
    one = enter(new_context, "member@example.org", url, live_app.url_b)
    two = enter(new_context, "member2@example.org", url, live_app.url_b)
    frames: list[str] = []
    two.on(
        "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))
    )
    two.reload()
    expect(two.locator("#live-connection")).to_have_attribute("data-state", "connected")

    # The backchannel: the team sees it; a member's page and frames never carry it.
    secret = f"Team note {uuid.uuid4().hex[:6]}"
    host.get_by_label("Message to the team").fill(secret)
    host.get_by_role("button", name="Send to the team").click()
    expect(host.locator("#live-backchannel")).to_contain_text(secret)
    expect(host.get_by_label("Message to the team")).to_have_value("")
    expect(two.get_by_label("Message to the team")).to_have_count(0)

    # A held question: only the facilitator reads it; everyone sees the count; the asker
    # sees their own as waiting.
    one.get_by_label("Your message").fill("Can we talk about promotion panels?")
    one.get_by_label("Ask this as a question").check()
    one.get_by_role("button", name="Send", exact=True).click()
    expect(one.get_by_label("Your message")).to_have_value("")
    expect(one.locator("#live-mine-waiting")).to_contain_text("Waiting")
    expect(two.locator("#live-waiting")).to_contain_text("1 question waiting")
    held = host.locator("#live-held li").filter(has_text="promotion panels")
    expect(held).to_be_visible()
    expect(two.locator("main")).not_to_contain_text("promotion panels")

    held.get_by_role("button", name=re.compile("^Approve")).click()
    for page in (one, two):
        expect(page.locator("#live-questions")).to_contain_text("promotion panels")
    expect(two.locator("#live-waiting")).to_contain_text("Questions wait for")
    expect(one.locator("#live-mine-waiting li")).to_have_count(0)
    host.locator("#live-questions li").filter(has_text="promotion panels").get_by_role(
        "button", name=re.compile("^Spotlight")
    ).click()
    for page in (one, two):
        expect(page.locator("#live-spotlight")).to_contain_text("promotion panels")

    assert not any(secret in frame for frame in frames), "the backchannel reached a member"
    expect(two.locator("main")).not_to_contain_text(secret)
    violations = run_axe(host)
    assert not violations, format_violations(violations)


FILL_STREAM = """
from datetime import timedelta
from django.utils import timezone
from realtime.models import LiveEvent, LiveSession
from community.models import User
earlier = timezone.now() - timedelta(hours=1)  # outside the writer's rate limit
session = LiveSession.objects.get(pk={pk})
author = User.objects.get(email='member2@example.org')
for n in range(40):
    session.last_seq += 1
    LiveEvent.objects.create(session=session, seq=session.last_seq, kind='message', author=author,
        body=f'Earlier {{n}}', body_html=f'<p>Earlier {{n}}</p>', created=earlier)
LiveSession.objects.filter(pk=session.pk).update(last_seq=session.last_seq, status='live')
"""


def test_stream_pane_offers_jump_to_latest_when_scrolled_up(new_context, session_url, live_app):
    pk = int(session_url.strip("/").split("/")[-1])
    live_app.shell(FILL_STREAM.format(pk=pk))
    reader = enter(new_context, "facilitator@example.org", session_url)
    pane = reader.locator("#live-stream-pane")
    expect(pane).to_have_attribute("role", "log")
    pane.evaluate("(el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    writer = enter(new_context, "member2@example.org", session_url, live_app.url_b)
    writer.get_by_label("Your message").fill("The newest word")
    writer.get_by_role("button", name="Send", exact=True).click()
    jump = reader.get_by_role("button", name=re.compile("^Jump to latest"))
    expect(jump).to_be_visible()
    expect(jump).to_contain_text("1 new")
    jump.click()
    expect(jump).to_be_hidden()
    assert pane.evaluate("(el) => el.scrollHeight - el.scrollTop - el.clientHeight < 48")
    expect(reader.get_by_label("Your message")).to_be_focused()


ENDED_WITH_ATTENDEE = """
import json
from datetime import timedelta
from django.utils import timezone
from community.models import Space, User
from realtime.models import Attendance, LiveSession
now = timezone.now()
session = LiveSession.objects.create(
    space=Space.objects.get(slug='safe-spaces'), title='Feedback journey', status='ended',
    starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1), ended_at=now)
session.facilitators.add(User.objects.get(email='facilitator@example.org'))
Attendance.objects.create(session=session, user=User.objects.get(email='member@example.org'))
print(json.dumps({'id': session.pk}))
"""


def test_feedback_form_keeps_text_on_error_and_is_accessible(new_context, live_app):
    session_id = json.loads(live_app.shell(ENDED_WITH_ATTENDEE).strip().splitlines()[-1])["id"]
    page = new_context("member@example.org", base_url=live_app.url_b).new_page()
    page.goto(f"/live/{session_id}/feedback/")
    page.get_by_label("What helped?").fill("Hearing others first")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose how safe")
    expect(page.get_by_label("What helped?")).to_have_value("Hearing others first")
    violations = run_axe(page)
    assert not violations, format_violations(violations)
    page.get_by_label("4").check()
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator("main")).to_contain_text("your feedback was saved")
    host = new_context("facilitator@example.org").new_page()
    host.goto(f"/live/{session_id}/feedback/results/")
    expect(host.locator("main")).to_contain_text("1 answer so far")
    expect(host.locator("main")).not_to_contain_text("Hearing others first")
    violations = run_axe(host)
    assert not violations, format_violations(violations)
