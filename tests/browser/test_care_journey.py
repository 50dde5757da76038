"""Reporting with care, end to end: a member reports a post for racism and sees support at once;
a moderator hides it; the reporter reads the outcome; the author appeals and a member of staff
(not the moderator who acted) overturns it, so the post is back for everyone."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import require_path
from .test_thread_journeys import start_thread

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _apps_built(live_app):
    require_path(live_app, "/spaces/safe-spaces/threads/new/", "threads app")
    require_path(live_app, "/moderation/appeals/", "appeals")


def test_report_outcome_appeal_and_overturn(new_context):
    word = uuid.uuid4().hex[:8]
    title = f"Comments at handover {word}"
    author = new_context("member@example.org").new_page()
    url = start_thread(author, title, f"People like them always exaggerate {word}.")
    post_id = author.locator("article.forum-post").first.get_attribute("id").removeprefix("post-")

    reporter = new_context("facilitator@example.org").new_page()
    reporter.goto(f"/moderation/flag/post/{post_id}/?next={url}")
    reporter.get_by_label("Racism, discrimination or a microaggression").check()
    reporter.get_by_role("button", name="Send to the moderators").click()
    expect(reporter.get_by_role("heading", level=1)).to_contain_text("Thank you for your report")
    expect(reporter.locator("main")).to_contain_text("Samaritans")
    expect(reporter.locator("main")).to_contain_text("116 123")

    moderator = new_context("moderator@example.org").new_page()
    moderator.goto(f"/moderation/posts/{post_id}/hide/")
    reason = f"It stereotypes a group of colleagues {word}"
    moderator.get_by_label("Reason").fill(reason)
    moderator.locator("main form button[type=submit]").click()
    expect(moderator.get_by_text("The post is hidden")).to_be_visible()

    reporter.goto("/moderation/reports/mine/")
    expect(reporter.locator("main")).to_contain_text("The moderators acted on it")
    expect(reporter.locator("main")).to_contain_text(reason)

    author.goto("/moderation/appeals/mine/")
    card = author.locator(".nhsuk-card").filter(has_text=reason)
    card.get_by_role("link", name=re.compile("^Appeal this decision")).click()
    author.get_by_label("Why should the decision change?").fill(
        "I was quoting what a patient said to me, not my own view."
    )
    author.get_by_role("button", name="Send my appeal").click()
    expect(author.get_by_text("Your appeal is sent")).to_be_visible()

    # The moderator who hid it is not offered the decision; staff decide.
    moderator.goto("/moderation/appeals/")
    moderator.get_by_role("link", name=re.compile("^Hid post")).first.click()
    expect(moderator.locator("main")).to_contain_text("You made this decision")
    expect(moderator.get_by_role("button", name="Decide the appeal")).to_have_count(0)
    staff = new_context("staff@example.org").new_page()
    staff.goto("/moderation/appeals/")
    staff.get_by_role("link", name=re.compile("^Hid post")).first.click()
    expect(staff.locator("main")).to_contain_text("quoting what a patient said")
    staff.get_by_label("Overturn: reverse it").check()
    staff.get_by_label("Reason").fill("It reports a patient's words; the content note covers it.")
    staff.get_by_role("button", name="Decide the appeal").click()
    expect(staff.get_by_text("The appeal is decided")).to_be_visible()

    author.goto("/notifications/")
    expect(author.locator("main")).to_contain_text("Your appeal was successful")
    reporter.goto(url)
    expect(reporter.locator("main")).to_contain_text(f"always exaggerate {word}")
