"""axe-core (our own copy from npm) on every main page at desktop and mobile widths: no serious
or critical violations. Each page is also screenshotted into screenshots/ for review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import DESKTOP, MOBILE, format_violations, run_axe, screenshot

pytestmark = pytest.mark.browser

# (name, who is signed in, path; {thread} and {live} come from the demo data)
PAGES = [
    ("landing", None, "/"),
    ("sign-in", None, "/accounts/login/"),
    ("sign-up", None, "/accounts/signup/"),
    ("password-reset", None, "/accounts/password/reset/"),
    ("home", "member@example.org", "/"),
    ("spaces", "member@example.org", "/spaces/"),
    ("space", "member@example.org", "/spaces/safe-spaces/"),
    ("space-not-member", "outsider@example.org", "/spaces/safe-spaces/"),
    ("join-space", "outsider@example.org", "/spaces/safe-spaces/join/"),
    ("space-members", "member@example.org", "/spaces/safe-spaces/members/"),
    ("guidelines", "member@example.org", "/guidelines/"),
    ("thread", "member@example.org", "/spaces/safe-spaces/threads/{thread}/"),
    ("thread-moderator", "moderator@example.org", "/spaces/safe-spaces/threads/{thread}/"),
    ("new-thread", "member@example.org", "/spaces/safe-spaces/threads/new/"),
    ("search", "member@example.org", "/search/?q=race"),
    ("notifications", "member@example.org", "/notifications/"),
    ("live-list", "member@example.org", "/live/"),
    ("live-room", "member@example.org", "/live/{live}/"),
    ("live-room-facilitator", "facilitator@example.org", "/live/{live}/"),
    ("moderation-queue", "moderator@example.org", "/moderation/"),
    ("moderation-audit", "moderator@example.org", "/moderation/audit/"),
    ("flag-post", "facilitator@example.org", "/moderation/flag/post/{post}/"),
    ("moderation-hide-post", "moderator@example.org", "/moderation/posts/{post}/hide/"),
    ("moderation-words", "moderator@example.org", "/moderation/words/"),
    ("moderation-queue-resolved", "moderator@example.org", "/moderation/?state=resolved"),
    ("moderation-replies", "moderator@example.org", "/moderation/replies/"),
    ("moderation-wellbeing", "moderator@example.org", "/moderation/wellbeing/"),
    ("moderation-members", "staff@example.org", "/moderation/members/"),
    (
        "moderation-notes",
        "moderator@example.org",
        "/moderation/spaces/safe-spaces/members/{member}/notes/",
    ),
    ("support", "member@example.org", "/support/"),
    ("report-sent", "member@example.org", "/moderation/reports/sent/"),
    ("my-reports", "member@example.org", "/moderation/reports/mine/"),
    ("my-decisions", "member@example.org", "/moderation/appeals/mine/"),
    ("moderation-appeals", "moderator@example.org", "/moderation/appeals/"),
    ("transparency-report", "member@example.org", "/moderation/report/"),
    ("invitations", "moderator@example.org", "/invitations/"),
    ("space-settings", "moderator@example.org", "/spaces/safe-spaces/settings/"),
    ("space-create", "staff@example.org", "/spaces/new/"),
    ("live-new", "facilitator@example.org", "/live/new/"),
    ("profile", "facilitator@example.org", "/members/{member}/"),
    ("account", "member@example.org", "/account/"),
    ("account-delete", "member@example.org", "/account/delete/"),
    ("profile-edit", "member@example.org", "/account/profile/"),
    ("email", "member@example.org", "/accounts/email/"),
    ("password-change", "member@example.org", "/accounts/password/change/"),
    ("mfa", "member@example.org", "/accounts/2fa/"),
    ("sessions", "member@example.org", "/accounts/sessions/"),
]


@pytest.mark.parametrize(("name", "email", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violations(
    name, email, path, new_context, live_app, demo_ids
):
    if "{" in path:
        key = path.split("{")[1].split("}")[0]
        if not demo_ids.get(key):
            pytest.skip(f"no demo {key} yet (its app has not landed)")
        path = path.format(**demo_ids)
    if live_app.status(path.split("?")[0]) == 404:
        pytest.skip(f"{path} is a 404: that page has not been built yet")

    page = new_context(email, viewport=DESKTOP).new_page()
    requests, errors = [], []
    # Every request the page attempts, even one the CSP would block.
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    # The NHS.UK components started (initAll throws if they cannot).
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


def test_form_errors_are_summarised_focused_and_accessible(new_context, live_app):
    """A refused form: the error summary takes focus, links to the field, and keeps the text."""
    if live_app.status("/spaces/safe-spaces/threads/new/") == 404:
        pytest.skip("threads app not built yet")
    page = new_context("member@example.org").new_page()
    page.goto("/spaces/safe-spaces/threads/new/")
    page.get_by_label("Your post").fill("My draft stays here.")
    page.get_by_role("button", name="Post thread").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_label("Your post")).to_have_value("My draft stays here.")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Title")).to_be_focused()
    screenshot(page, "new-thread-errors")
    violations = run_axe(page)
    assert not violations, format_violations(violations)

    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("member@example.org")
    page.get_by_label("Password").fill("not-the-password")
    page.locator('form[action="/accounts/login/"] button[type=submit]').click()
    expect(page.locator("main")).to_contain_text(re.compile("not correct|incorrect", re.I))
    expect(page.get_by_label("Email")).to_have_value("member@example.org")
    screenshot(page, "sign-in-errors")
    violations = run_axe(page)
    assert not violations, format_violations(violations)


def test_mobile_header_menu_opens_and_stays_accessible(new_context):
    """On a phone the header's extra links fold into "More", which opens from the keyboard."""
    page = new_context("member@example.org", viewport=MOBILE).new_page()
    page.goto("/")
    more = page.get_by_role("button", name="Browse More")
    expect(more).to_be_visible()
    expect(page.get_by_role("link", name="Your account", exact=True)).to_be_hidden()
    more.focus()
    page.keyboard.press("Enter")
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Your account", exact=True)).to_be_visible()
    screenshot(page, "home-menu-open")
    violations = run_axe(page)
    assert not violations, format_violations(violations)
    page.keyboard.press("Escape")
    expect(more).to_have_attribute("aria-expanded", "false")
