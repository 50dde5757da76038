"""A newcomer signs up, confirms their email from the message they receive, signs in, accepts the
community guidelines and joins a space: everything a person does before their first post."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import sign_in

pytestmark = pytest.mark.browser

CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/accounts/confirm-email/[^\s\"'<>]+")


def test_newcomer_signs_up_confirms_email_accepts_guidelines_and_joins_a_space(
    new_context, live_app
):
    email = f"amara.{uuid.uuid4().hex[:8]}@example.org"
    password = "a-long-calm-passphrase-2024"
    page = new_context().new_page()

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill("Amara Okafor")
    page.get_by_label("Organisation (optional)").fill("Lakeside NHS Trust")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.locator('form[action="/accounts/signup/"] button[type=submit]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("verify", re.I))

    # The confirmation email, as the file backend wrote it.
    messages = [m for m in live_app.emails() if email in m]
    assert messages, f"no email to {email} in {live_app.mail_dir}"
    links = CONFIRM_LINK.findall(messages[-1])
    assert links, f"no confirmation link in:\n{messages[-1]}"
    page.goto(links[0])
    page.locator("main form button[type=submit]").click()

    # Email confirmed: signing in now works and lands on the member's home.
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amara Okafor")
    expect(page.get_by_text("You have not joined a space yet.")).to_be_visible()

    page.get_by_role("link", name="read and accept the community guidelines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Community guidelines")
    page.get_by_label("I have read and accept these guidelines").check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page.get_by_text("Thank you for accepting the guidelines.")).to_be_visible()

    page.goto("/spaces/allyship/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Allyship")
    page.get_by_role("link", name="Join this space").click()
    # Refused without ticking the box; nothing joined.
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text("Tick the box to accept this space's guidelines")).to_be_visible()
    page.get_by_label("I have read and accept these guidelines").check()
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text("You have joined Allyship.")).to_be_visible()
    expect(page.get_by_text("You are a member of this space.")).to_be_visible()
    expect(page.get_by_role("link", name="Start a thread")).to_be_visible()
