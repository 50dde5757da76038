"""A member flags a post, a moderator hides it from the review queue with a reason, and the author
sees that it was hidden and why."""

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
    require_path(live_app, "/moderation/", "moderation app")


def test_moderator_hides_a_flagged_post_and_the_author_sees_why(new_context):
    word = uuid.uuid4().hex[:8]
    title = f"Why do we keep talking about this {word}"
    author = new_context("member@example.org").new_page()
    url = start_thread(author, title, f"Honestly some of you are just oversensitive {word}.")

    peer = new_context("facilitator@example.org").new_page()
    peer.goto(url)
    opening = peer.locator("article.forum-post").first
    flag = opening.get_by_role("link", name=re.compile("^Flag"))
    if flag.count():
        flag.click()
    else:
        # The thread page does not offer the moderation tools yet: open the flag form directly.
        post_id = opening.get_attribute("id").removeprefix("post-")
        peer.goto(f"/moderation/flag/post/{post_id}/?next={url}")
    expect(peer.get_by_role("heading", level=1)).to_contain_text("Flag")
    peer.get_by_label("Personal attack").check()
    peer.get_by_label("Anything the moderators should know (optional)").fill(
        "Dismissive of colleagues who raised concerns."
    )
    peer.get_by_role("button", name="Send to the moderators").click()
    expect(peer.locator("main")).to_contain_text(re.compile("flag|moderators", re.I))

    moderator = new_context("moderator@example.org").new_page()
    moderator.goto("/moderation/")
    expect(moderator.get_by_role("heading", name=re.compile("^Flagged items"))).to_be_visible()
    card = moderator.locator(".nhsuk-card").filter(has_text=title)
    expect(card).to_contain_text("Personal attack")
    expect(card).to_contain_text("Femi Adeyemi")
    card.get_by_role("link", name="Hide", exact=True).click()
    reason = "It dismisses colleagues' experience of racism (guideline 2: respect)."
    moderator.get_by_label("Reason").fill(reason)
    moderator.locator("main form button[type=submit]").click()
    expect(
        moderator.get_by_text("The post is hidden and its author has been told why.")
    ).to_be_visible()
    expect(moderator.locator(".nhsuk-card").filter(has_text=title)).to_have_count(0)

    # The author sees the post marked hidden with the reason, and a notification saying so.
    author.goto(url)
    post = author.locator("article.forum-post").first
    expect(post.get_by_text("Hidden by a moderator")).to_be_visible()
    expect(post).to_contain_text(reason)
    author.goto("/notifications/")
    expect(author.locator("main")).to_contain_text(reason)

    # Other members no longer see the post's text.
    other = new_context("newcomer@example.org").new_page()
    other.goto(url)
    assert f"oversensitive {word}" not in other.content()


def _flag_opening_post(page, url: str, reason: str) -> None:
    page.goto(url)
    opening = page.locator("article.forum-post").first
    post_id = opening.get_attribute("id").removeprefix("post-")
    page.goto(f"/moderation/flag/post/{post_id}/?next={url}")
    page.get_by_label(reason).check()
    page.get_by_role("button", name="Send to the moderators").click()


def test_moderator_ticks_two_flagged_posts_and_closes_them_with_one_reason(new_context):
    word = uuid.uuid4().hex[:8]
    author = new_context("member@example.org").new_page()
    titles = [f"Bulk one {word}", f"Bulk two {word}"]
    urls = [start_thread(author, t, f"Some text {word} {n}.") for n, t in enumerate(titles)]
    peer = new_context("facilitator@example.org").new_page()
    for url in urls:
        _flag_opening_post(peer, url, "Spam")

    moderator = new_context("moderator@example.org").new_page()
    moderator.goto("/moderation/?kind=flags&sort=newest")
    items = moderator.locator(".forum-queue-item").filter(has_text=word)
    expect(items).to_have_count(2)
    for n in range(2):
        item = items.nth(n)
        expect(item).to_contain_text("Waiting since")
        item.get_by_role("checkbox").check()
    moderator.get_by_label("Action").select_option("dismiss")
    moderator.locator("#bulk-reason").fill("Not spam: a fair question.")
    moderator.get_by_role("button", name="Apply to the selected items").click()
    expect(moderator.locator("main")).to_contain_text("2 of 2 items closed with no action needed.")
    expect(moderator.locator(".forum-queue-item").filter(has_text=word)).to_have_count(0)

    moderator.goto("/moderation/audit/")
    expect(moderator.locator("main")).to_contain_text("Not spam: a fair question.")
