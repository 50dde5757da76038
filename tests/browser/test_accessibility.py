"""axe-core (our own copy from npm) on every main page at desktop and mobile widths: no serious
or critical violations. Each page is also screenshotted into screenshots/ for review."""

from __future__ import annotations

import pytest

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
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    found = {}
    for viewport in (DESKTOP, MOBILE):
        page.set_viewport_size(viewport)
        screenshot(page, name)
        violations = run_axe(page)
        if violations:
            found[viewport["width"]] = violations
    assert not found, f"axe on {path}:\n{format_violations(found)}"
