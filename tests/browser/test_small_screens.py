"""Small screens and the keyboard: no page scrolls sideways at 320 px (WCAG 1.4.10 reflow), the
unread count shows on a phone without opening "More", and focus stays put after an HTMX swap."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# (who is signed in, path); {thread}, {post}, {live} and {member} come from the demo data.
PAGES = [
    (None, "/"),
    (None, "/accounts/login/"),
    (None, "/accounts/signup/"),
    ("member@example.org", "/"),
    ("member@example.org", "/spaces/"),
    ("member@example.org", "/spaces/safe-spaces/"),
    ("member@example.org", "/spaces/safe-spaces/members/"),
    ("member@example.org", "/spaces/safe-spaces/threads/{thread}/"),
    ("member@example.org", "/spaces/safe-spaces/threads/new/"),
    ("member@example.org", "/search/?q=race"),
    ("member@example.org", "/notifications/"),
    ("member@example.org", "/live/"),
    ("member@example.org", "/live/{live}/"),
    ("member@example.org", "/commitments/"),
    ("member@example.org", "/library/"),
    ("member@example.org", "/members/{member}/"),
    ("member@example.org", "/account/"),
    ("member@example.org", "/account/profile/"),
    ("member@example.org", "/accounts/email/"),
    ("member@example.org", "/accounts/2fa/"),
    ("member@example.org", "/accounts/sessions/"),
    ("moderator@example.org", "/spaces/safe-spaces/threads/{thread}/"),
    ("moderator@example.org", "/moderation/"),
    ("moderator@example.org", "/moderation/audit/"),
    ("moderator@example.org", "/moderation/words/"),
    ("moderator@example.org", "/spaces/safe-spaces/settings/"),
    ("facilitator@example.org", "/live/{live}/"),
]

# The widest elements, to say what overflows when something does.
OVERFLOW = """() => {
  const width = window.innerWidth;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width,
    culprits: [...document.querySelectorAll('body *')]
      .filter(el => el.getBoundingClientRect().right > width + 1 && el.checkVisibility())
      .filter(el => !el.closest('.nhsuk-u-visually-hidden, .nhsuk-skip-link'))
      .slice(0, 5)
      .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${
        [...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`),
  };
}"""


def _path(path: str, demo_ids: dict, live_app) -> str:
    if "{" in path:
        key = path.split("{")[1].split("}")[0]
        if not demo_ids.get(key):
            pytest.skip(f"no demo {key}")
        path = path.format(**demo_ids)
    if live_app.status(path.split("?")[0]) == 404:
        pytest.skip(f"{path} is a 404 here")
    return path


@pytest.mark.parametrize(
    ("email", "path"), PAGES, ids=[f"{(e or 'anon').split('@')[0]}:{p}" for e, p in PAGES]
)
def test_no_page_scrolls_sideways_at_320_px(email, path, new_context, live_app, demo_ids):
    path = _path(path, demo_ids, live_app)
    page = new_context(email, viewport=NARROW).new_page()
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    expect(page.locator("body.nhsuk-frontend-supported")).to_have_count(1)
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["width"], f"{path} is {found} wide"


def test_the_unread_count_shows_on_a_phone_without_opening_more(new_context, live_app):
    page = new_context("member@example.org", viewport=NARROW).new_page()
    page.goto("/")
    count = page.evaluate(
        "() => document.querySelector('[data-notification-count] [data-count]').textContent"
    )
    if count.strip() in ("", "0"):
        pytest.skip("the demo member has no unread notifications")
    expect(page.get_by_role("button", name="Browse More")).to_have_attribute(
        "aria-expanded", "false"
    )
    badge = page.locator("[data-notification-count]:visible")
    expect(badge.first).to_be_visible()
    expect(badge.first).to_contain_text(count.strip())


def test_focus_returns_to_the_reaction_button_after_reacting(new_context, live_app, demo_ids):
    path = _path("/spaces/safe-spaces/threads/{thread}/", demo_ids, live_app)
    page = new_context("member@example.org").new_page()
    page.goto(path)
    reactions = page.locator(".forum-reactions form button").first
    expect(reactions).to_be_visible()
    pressed = reactions.get_attribute("aria-pressed")
    reactions.focus()
    page.keyboard.press("Enter")
    button = page.locator(".forum-reactions form button").first
    expect(button).not_to_have_attribute("aria-pressed", pressed)
    expect(button).to_be_focused()
    # And back, from the keyboard again, without reaching for the mouse.
    page.keyboard.press("Enter")
    expect(page.locator(".forum-reactions form button").first).to_have_attribute(
        "aria-pressed", pressed
    )
    expect(page.locator(".forum-reactions form button").first).to_be_focused()


def test_a_thread_page_title_names_its_page(new_context, live_app, demo_ids):
    path = _path("/spaces/safe-spaces/threads/{thread}/", demo_ids, live_app)
    page = new_context("member@example.org").new_page()
    page.goto(path)
    if page.locator(".nhsuk-pagination__link--next").count() == 0:
        pytest.skip("the demo thread has one page")
    expect(page).to_have_title(re.compile(r" – page 1 of \d+ – "))
    page.locator(".nhsuk-pagination__link--next").click()
    expect(page).to_have_title(re.compile(r" – page 2 of \d+ – "))
