"""Commitments as members use them: make one from a thread, share it with the space, post an
update as a report in the thread; the same without JavaScript; and axe on every new page."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .helpers import DESKTOP, MOBILE, format_violations, require_path, run_axe, screenshot

pytestmark = pytest.mark.browser

SPACE = "allyship"
THREAD_TITLE = "Being an active bystander: what helped you step in?"

IDS_CODE = f"""
import json
TITLE = {THREAD_TITLE!r}
from threads.models import Thread
from realtime.models import LiveSession
from threads.commitments.models import ActionProposal, CaseStudy, Commitment
from community.models import User
member = User.objects.get(email='member@example.org')
thread = Thread.objects.get(space__slug='allyship', title=TITLE)
ended = LiveSession.objects.filter(status='ended', action_proposals__isnull=False).first()
print(json.dumps({{
    'thread': thread.pk,
    'commitment': Commitment.objects.filter(owner=member, status='done').first().pk,
    'ended': ended.pk,
    'proposal': ActionProposal.objects.filter(session=ended).first().pk,
    'case_study': CaseStudy.objects.order_by('pk').first().thread_id,
}}))
"""


@pytest.fixture(scope="module")
def ids(live_app) -> dict[str, int]:
    require_path(live_app, "/commitments/", "commitments")
    return json.loads(live_app.shell(IDS_CODE).strip().splitlines()[-1])


def fill_date(page, day: date) -> None:
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))


def test_member_makes_a_commitment_from_a_thread_shares_it_and_reports_back(new_context, ids):
    word = uuid.uuid4().hex[:8]
    what = f"Practise a phrase to step in with, and use it {word}"
    page = new_context("member@example.org").new_page()

    # From the thread, with the link prefilled.
    page.goto(f"/spaces/{SPACE}/threads/{ids['thread']}/")
    page.get_by_role("link", name="Make a commitment from this thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a commitment")
    expect(page.locator(".nhsuk-inset-text")).to_contain_text(THREAD_TITLE)
    expect(page.get_by_label("Only me")).to_be_checked()
    expect(page.get_by_label("Allyship", exact=True)).to_be_checked()
    page.get_by_label("What will you do?").fill(what)
    fill_date(page, date.today() + timedelta(days=30))
    page.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(what)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Only you")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(THREAD_TITLE)
    url = page.url

    # Not shared yet: no report option, and the peer cannot open it.
    expect(page.get_by_label(re.compile("Also post this as a report"))).to_have_count(0)
    peer = new_context("facilitator@example.org").new_page()
    assert peer.goto(url).status == 404

    # Share it with the space.
    page.get_by_role("link", name="Change this commitment").click()
    page.get_by_label("Members of a space I belong to").check()
    page.get_by_label("Space to share it with").select_option(label="Allyship")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Members of Allyship")

    # Post an update as a report in the thread.
    page.get_by_label("What happened?").fill(f"I stepped in twice this week {word}.")
    page.get_by_label("In progress").check()
    page.get_by_label(f"Also post this as a report in “{THREAD_TITLE}”").check()
    page.get_by_role("button", name="Save update").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("posted as a report")
    expect(page.locator("main")).to_contain_text(f"I stepped in twice this week {word}.")
    page.get_by_role("link", name=f"Posted as a report in “{THREAD_TITLE}”").click()
    report = page.locator("article.forum-post").filter(has_text=f"twice this week {word}")
    expect(report).to_contain_text("Report on a commitment")
    expect(report.get_by_role("link", name=what)).to_have_attribute(
        "href", re.compile(r"/commitments/\d+/$")
    )

    # A peer in the space sees it shared, and can open it from the report.
    peer.goto(f"/spaces/{SPACE}/commitments/")
    expect(peer.get_by_role("link", name=what)).to_be_visible()
    peer.goto(url)
    expect(peer.get_by_role("heading", level=1)).to_have_text(what)
    expect(peer.get_by_label("What happened?")).to_have_count(0)


def test_commitment_form_works_without_javascript_and_keeps_the_text_on_error(
    browser, live_app, new_context
):
    require_path(live_app, "/commitments/", "commitments")
    from .helpers import sign_in_state

    state = sign_in_state(browser, live_app, "member@example.org")
    context = browser.new_context(
        base_url=live_app.url, storage_state=state, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/commitments/new/")
        page.get_by_label("What will you do?").fill("Without scripts, still saved.")
        fill_date(page, date.today() - timedelta(days=2))
        page.get_by_label("Allyship", exact=True).check()
        page.get_by_role("button", name="Save commitment").click()
        expect(page.locator(".nhsuk-error-summary")).to_contain_text(
            "The date must be today or in the future."
        )
        expect(page.get_by_label("What will you do?")).to_have_value(
            "Without scripts, still saved."
        )
        fill_date(page, date.today() + timedelta(days=5))
        page.get_by_role("button", name="Save commitment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Without scripts, still saved.")
    finally:
        context.close()


def test_attendee_adopts_a_proposed_action(new_context, ids):
    page = new_context("member@example.org").new_page()
    page.goto(f"/live/{ids['ended']}/actions/")
    page.get_by_role("link", name=re.compile("^Adopt this")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adopt this action")
    fill_date(page, date.today() + timedelta(days=14))
    page.get_by_role("button", name="Save commitment").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("one of your commitments")
    page.goto(f"/live/{ids['ended']}/actions/")
    expect(page.locator("main")).to_contain_text(re.compile(r"Adopted by [1-9]\d* member"))


def test_moderator_stops_sharing_a_flagged_commitment_and_the_owner_is_told(new_context, ids):
    """The demo's "snowflake" is a flag word in allyship (moderation's demo)."""
    word = uuid.uuid4().hex[:8]
    what = f"Stop calling new starters snowflake in handovers {word}"
    page = new_context("member@example.org").new_page()
    page.goto("/commitments/new/")
    page.get_by_label("What will you do?").fill(what)
    fill_date(page, date.today() + timedelta(days=30))
    page.get_by_label("Allyship", exact=True).check()
    page.get_by_label("Members of a space I belong to").check()
    page.get_by_label("Space to share it with").select_option(label="Allyship")
    page.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(what)
    url = page.url

    moderator = new_context("moderator@example.org", viewport=DESKTOP).new_page()
    moderator.goto("/moderation/?kind=flags")
    card = moderator.locator(".nhsuk-card").filter(has_text=what)
    expect(card).to_contain_text("an automatic check")
    expect(card).to_contain_text("Mel Chen")
    screenshot(moderator, "moderation-queue-commitment")
    violations = run_axe(moderator)
    assert not violations, format_violations(violations)
    card.get_by_role("link", name="Stop sharing this commitment").click()
    reason = "It repeats a slur; please reword it before sharing it again."
    moderator.get_by_label("Reason").fill(reason)
    moderator.locator("main form button[type=submit]").click()
    expect(moderator.get_by_text("The commitment is private again")).to_be_visible()
    expect(moderator.locator(".nhsuk-card").filter(has_text=what)).to_have_count(0)
    assert moderator.goto(url).status == 404

    page.goto(url)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Only you")
    page.goto("/notifications/")
    expect(page.locator("main")).to_contain_text(reason)


def test_a_peer_finds_a_shared_commitment_in_search_and_flags_it(new_context, ids):
    """moderator@ reads leadership-accountability, where member@'s done commitment is shared."""
    peer = new_context("moderator@example.org").new_page()
    peer.goto("/search/?q=WRES+indicators+board")
    results = peer.locator("main")
    expect(results).to_contain_text("Commitments matching")
    peer.goto(f"/commitments/{ids['commitment']}/")
    peer.get_by_role("link", name="Flag this commitment or its updates to the moderators").click()
    details = f"Please check the wording {uuid.uuid4().hex[:8]}"
    peer.locator("input[name=reason]").last.check()
    peer.locator("textarea[name=details]").fill(details)
    peer.locator("main form button[type=submit]").click()
    expect(peer.get_by_role("heading", name="Thank you for your report")).to_be_visible()
    owner = new_context("member@example.org").new_page()
    owner.goto(f"/commitments/{ids['commitment']}/")
    expect(owner.get_by_role("link", name=re.compile("^Flag this commitment"))).to_have_count(0)


def test_a_held_commitment_waits_for_a_moderator_then_members_see_it(new_context, ids):
    """The demo's "buy now" is a community-wide ``require approval`` word (moderation's demo)."""
    word = uuid.uuid4().hex[:8]
    what = f"Stop the buy now pressure on agency staff {word}"
    page = new_context("member@example.org").new_page()
    page.goto("/commitments/new/")
    page.get_by_label("What will you do?").fill(what)
    fill_date(page, date.today() + timedelta(days=30))
    page.get_by_label("Allyship", exact=True).check()
    page.get_by_label("Members of a space I belong to").check()
    page.get_by_label("Space to share it with").select_option(label="Allyship")
    page.get_by_role("button", name="Save commitment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(what)
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("Only you can see")
    url = page.url

    peer = new_context("facilitator@example.org").new_page()
    assert peer.goto(url).status == 404

    moderator = new_context("moderator@example.org", viewport=DESKTOP).new_page()
    moderator.goto("/moderation/")
    card = moderator.locator(".nhsuk-card").filter(has_text=what)
    expect(card).to_contain_text("Commitment waiting for approval")
    violations = run_axe(moderator)
    assert not violations, format_violations(violations)
    card.get_by_role("button", name="Approve").click()
    expect(moderator.locator(".nhsuk-card").filter(has_text=what)).to_have_count(0)

    assert peer.goto(url).status == 200
    expect(peer.get_by_role("heading", level=1)).to_have_text(what)


# (name, who, path) for axe: {key} comes from the ids fixture.
PAGES = [
    ("commitments", "member@example.org", "/commitments/"),
    ("commitments-filtered", "member@example.org", "/commitments/?status=done&due=overdue"),
    ("commitment-new", "member@example.org", "/commitments/new/"),
    ("commitment-new-from-thread", "member@example.org", "/commitments/new/?thread={thread}"),
    ("commitment", "member@example.org", "/commitments/{commitment}/"),
    ("commitment-peer", "moderator@example.org", "/commitments/{commitment}/"),
    ("commitment-edit", "member@example.org", "/commitments/{commitment}/edit/"),
    ("space-commitments", "member@example.org", "/spaces/leadership-accountability/commitments/"),
    ("library", "member@example.org", "/library/"),
    ("library-new", "member@example.org", "/library/new/"),
    ("live-actions", "member@example.org", "/live/{ended}/actions/"),
    ("live-actions-facilitator", "facilitator@example.org", "/live/{ended}/actions/"),
    ("live-adopt", "member@example.org", "/live/{ended}/actions/{proposal}/adopt/"),
    ("case-study-edit", "moderator@example.org", "/library/case-studies/{case_study}/edit/"),
    ("commitment-flag", "moderator@example.org", "/moderation/flag/commitment/{commitment}/"),
    ("search-commitments", "member@example.org", "/search/?q=WRES+indicators+board"),
]


@pytest.mark.parametrize(("name", "email", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_commitment_pages_have_no_serious_accessibility_violations(
    name, email, path, new_context, live_app, ids
):
    path = path.format(**ids)
    page = new_context(email, viewport=DESKTOP).new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    expect(page.locator("body.nhsuk-frontend-supported")).to_have_count(1)
    found = {}
    for viewport in (DESKTOP, MOBILE):
        page.set_viewport_size(viewport)
        screenshot(page, name)
        violations = run_axe(page)
        if violations:
            found[viewport["width"]] = violations
    assert not found, f"axe on {path}:\n{format_violations(found)}"
    assert not errors, f"JavaScript errors on {path}: {errors}"
    foreign = [url for url in requests if not url.startswith((live_app.url, "data:", "blob:"))]
    assert not foreign, f"{path} loaded from another origin: {foreign}"


@pytest.mark.parametrize(
    ("path", "button", "field"),
    [
        ("/commitments/new/", "Save commitment", "What will you do?"),
        ("/library/new/", "Publish case study", "Title"),
    ],
)
def test_refused_forms_are_summarised_and_accessible(new_context, live_app, path, button, field):
    require_path(live_app, "/commitments/", "commitments")
    page = new_context("member@example.org").new_page()
    page.goto(path)
    page.get_by_role("button", name=button).click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    summary.get_by_role("link").first.click()
    screenshot(page, f"{path.strip('/').replace('/', '-')}-errors")
    violations = run_axe(page)
    assert not violations, format_violations(violations)
