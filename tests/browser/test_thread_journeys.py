"""Threads as members use them: start one with a content note, reply, react, follow, get notified,
post anonymously without leaving a trace, and find posts with search."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import require_path

pytestmark = pytest.mark.browser

SPACE = "safe-spaces"


@pytest.fixture(autouse=True)
def _threads_built(live_app):
    require_path(live_app, f"/spaces/{SPACE}/threads/new/", "threads app")


def start_thread(page, title: str, body: str, *, note: str = "", anonymous: bool = False) -> str:
    page.goto(f"/spaces/{SPACE}/")
    page.get_by_role("link", name="Start a thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a thread")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").fill(body)
    if note:
        page.get_by_label("Content note (optional)").fill(note)
    if anonymous:
        page.get_by_label("Post anonymously").check()
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url


def test_member_starts_thread_with_content_note_and_a_peer_replies_reacts_and_follows(
    new_context,
):
    word = uuid.uuid4().hex[:8]
    title = f"Handling racist remarks from patients {word}"
    body = f"On our wards staff told us about abuse they faced {word}."
    note = "describes racist abuse"

    author = new_context("member@example.org").new_page()
    url = start_thread(author, title, body, note=note)

    # The body stays folded behind the content note until the reader opens it.
    summary = author.get_by_text(f"Content note: {note}")
    expect(summary).to_be_visible()
    expect(author.get_by_text(body)).to_be_hidden()
    summary.click()
    expect(author.get_by_text(body)).to_be_visible()

    # The author makes sure they follow their own thread.
    follow = author.get_by_role("button", name=re.compile("Follow this thread|Stop following"))
    if follow.inner_text().strip() == "Follow this thread":
        follow.click()
    expect(author.get_by_role("button", name="Stop following")).to_be_visible()

    peer = new_context("facilitator@example.org").new_page()
    peer.goto(url)
    expect(peer.get_by_role("heading", level=1)).to_have_text(title)

    # React: the count goes up and the button says it is pressed.
    opening = peer.locator("article.forum-post").first
    thanks = opening.get_by_role("button", name=re.compile("^Thank you"))
    expect(thanks).to_have_attribute("aria-pressed", "false")
    thanks.click()
    thanks = opening.get_by_role("button", name=re.compile("^Thank you"))
    expect(thanks).to_have_attribute("aria-pressed", "true")
    expect(thanks.locator(".forum-count")).to_have_text("1")

    peer.get_by_role("button", name="Follow this thread").click()
    expect(peer.get_by_role("button", name="Stop following")).to_be_visible()

    reply = f"Thank you for sharing this; our network did something similar {word}."
    peer.get_by_label("Your reply").fill(reply)
    peer.get_by_role("button", name="Post reply").click()
    expect(peer.locator("article.forum-post").filter(has_text=reply)).to_be_visible()
    expect(peer.get_by_label("Your reply")).to_have_value("")

    # The author is told, and the notification leads to the reply.
    author.goto("/")
    expect(
        author.get_by_role("link", name=re.compile(r"Notifications\s+\d+\s+unread"))
    ).to_be_visible()
    author.goto("/notifications/")
    note_link = author.get_by_role("link", name=f"Femi Adeyemi replied to “{title}”")
    expect(note_link).to_be_visible()
    note_link.click()
    # Replies in a content-noted thread are folded under the same note: open it to read.
    replied = author.locator("article.forum-post").filter(has_text=reply)
    expect(replied).to_be_visible()
    replied.locator("summary").first.click()
    expect(author.get_by_text(reply)).to_be_visible()

    # The author replies back: the peer follows the thread, so they are told too.
    author.get_by_label("Your reply").fill(f"Glad it helped {word}.")
    author.get_by_role("button", name="Post reply").click()
    expect(
        author.locator("article.forum-post").filter(has_text=f"Glad it helped {word}.")
    ).to_be_visible()
    peer.goto("/notifications/")
    expect(peer.get_by_role("link", name=f"Mel Chen replied to “{title}”")).to_be_visible()


def test_anonymous_thread_leaves_no_trace_of_its_author_in_the_page_source(new_context, live_app):
    word = uuid.uuid4().hex[:8]
    title = f"Something I could not say in my own name {word}"
    author = new_context("member@example.org").new_page()
    url = start_thread(
        author, title, f"I was passed over twice and I think I know why {word}.", anonymous=True
    )
    expect(author.get_by_text("(you, posted anonymously)")).to_be_visible()
    member_id = live_app.shell(
        "from community.models import User;print(User.objects.get(email='member@example.org').pk)"
    ).strip()

    peer = new_context("facilitator@example.org").new_page()
    peer.goto(url)
    expect(peer.locator("article.forum-post").first).to_contain_text("A member of this space")
    source = peer.content()
    for trace in ("Mel Chen", "member@example.org", "Eastgate", f"/members/{member_id}/"):
        assert trace not in source, f"{trace!r} found in the anonymous thread's source"

    # Search results keep the secret too.
    peer.goto(f"/search/?q={word}")
    expect(peer.get_by_role("link", name=title)).to_be_visible()
    assert "Mel Chen" not in peer.content()

    # The moderator sees who wrote it.
    moderator = new_context("moderator@example.org").new_page()
    moderator.goto(url)
    expect(moderator.locator("article.forum-post").first).to_contain_text("Mel Chen")


def test_member_finds_a_post_with_search_from_the_header(new_context):
    word = uuid.uuid4().hex[:8]
    title = f"Reverse mentoring for the board {word}"
    page = new_context("member@example.org").new_page()
    start_thread(page, title, f"We paired each executive with a staff network member {word}.")

    page.get_by_role("searchbox", name="Search the forum").fill(word)
    page.get_by_role("button", name="Search").first.click()
    expect(page.locator("main").get_by_role("heading", level=2)).to_contain_text(
        f"1 result for “{word}”"
    )
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.goto(f"/search/?q=nothing-matches-{word}")
    expect(page.locator("main").get_by_role("heading", level=2)).to_have_text(
        f"No results for “nothing-matches-{word}”"
    )


def test_reply_appears_live_on_an_open_thread_page_with_the_unread_count(new_context):
    word = uuid.uuid4().hex[:8]
    title = f"Board questions we should be asking {word}"
    author = new_context("member@example.org").new_page()
    url = start_thread(author, title, f"What do you ask at board about race equality {word}?")
    # Open the thread page and wait for its live socket (the page has no visible indicator;
    # the peer below takes far longer to post than the socket takes to join its group).
    with author.expect_websocket(lambda ws: "/ws/threads/" in ws.url):
        author.goto(url)
    badge = author.locator("[data-notification-count]")
    before = int(badge.locator("[data-count]").inner_text() or 0) if badge.is_visible() else 0

    peer = new_context("facilitator@example.org").new_page()
    peer.goto(url)
    reply = f"We ask for ethnicity pay gap data every quarter {word}."
    peer.get_by_label("Your reply").fill(reply)
    peer.get_by_role("button", name="Post reply").click()
    expect(peer.locator("article.forum-post").filter(has_text=reply)).to_be_visible()

    # Without reloading, the author sees the reply and the unread count go up.
    expect(author.locator("article.forum-post").filter(has_text=reply)).to_be_visible()
    expect(author.locator("[data-live-status]")).to_have_text("A new reply has been posted.")
    expect(badge).to_be_visible()
    expect(badge.locator("[data-count]")).to_have_text(str(before + 1))
