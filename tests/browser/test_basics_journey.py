"""The everyday basics as members use them: @mentions with suggestions, drafts kept on the
server, bookmarks, and email choices."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from .helpers import require_path

pytestmark = pytest.mark.browser

SPACE = "safe-spaces"


@pytest.fixture(autouse=True)
def _basics_built(live_app):
    require_path(live_app, "/bookmarks/", "bookmarks")


def _start_thread(page, title: str) -> str:
    page.goto(f"/spaces/{SPACE}/threads/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").fill(f"Opening words for {title}")
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return page.url.split("#")[0]


def test_mention_suggests_only_readers_and_notifies_only_them(new_context):
    title = f"Mentions {uuid.uuid4().hex[:8]}"
    author = new_context("member@example.org").new_page()
    url = _start_thread(author, title)
    box = author.get_by_label("Your reply")
    box.click()
    box.press_sequentially("Thanks @Fem")
    option = author.get_by_role("option", name="Femi Adeyemi")
    expect(option).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("Thanks @Femi Adeyemi ")
    # Nadia is not in this space: never suggested.
    box.press_sequentially("and @Nad")
    expect(author.get_by_role("listbox", name="People you can mention")).to_be_hidden()
    box.press_sequentially("ia Hussain")
    author.get_by_role("button", name="Post reply").click()
    expect(author.get_by_text("Not everyone you mentioned was notified")).to_be_visible()

    facilitator = new_context("facilitator@example.org").new_page()
    facilitator.goto("/notifications/")
    expect(
        facilitator.get_by_role("link", name=f"Mel Chen mentioned you in “{title}”")
    ).to_be_visible()
    newcomer = new_context("newcomer@example.org").new_page()
    newcomer.goto("/notifications/")
    expect(newcomer.get_by_text(title)).to_have_count(0)
    assert facilitator.goto(url).status == 200


def test_new_thread_draft_is_kept_refused_when_too_long_and_discarded_on_posting(new_context):
    page = new_context("member@example.org").new_page()
    title = f"Draft {uuid.uuid4().hex[:8]}"
    page.goto(f"/spaces/{SPACE}/threads/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post").press_sequentially("Half a thought")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.goto(f"/spaces/{SPACE}/threads/new/")
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("Your post")).to_have_value("Half a thought")

    # Over the limit: said in the form, and the text stays in the box.
    long_text = "x" * 20_001
    page.get_by_label("Your post").fill(long_text)
    expect(page.get_by_text(re.compile("too long to save"))).to_be_visible()
    assert page.get_by_label("Your post").input_value() == long_text

    page.get_by_label("Your post").fill("Now ready to share")
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.goto(f"/spaces/{SPACE}/threads/new/")
    expect(page.get_by_label("Title")).to_have_value("")


def test_reply_draft_comes_back_on_return(new_context):
    author = new_context("member@example.org").new_page()
    url = _start_thread(author, f"Reply draft {uuid.uuid4().hex[:8]}")
    peer = new_context("facilitator@example.org").new_page()
    peer.goto(url)
    peer.get_by_label("Your reply").press_sequentially("Something to finish later")
    expect(peer.get_by_text("Draft saved.")).to_be_visible()
    peer.goto("/")
    peer.goto(url)
    expect(peer.get_by_label("Your reply")).to_have_value("Something to finish later")
    # Nobody else sees it.
    author.goto(url)
    expect(author.get_by_label("Your reply")).to_have_value("")


def test_bookmark_a_thread_and_a_post_with_the_keyboard_and_find_them(new_context):
    page = new_context("member@example.org").new_page()
    title = f"Bookmarks {uuid.uuid4().hex[:8]}"
    _start_thread(page, title)
    page.wait_for_function("() => window.htmx !== undefined")
    button = page.get_by_role("button", name="Bookmark this thread")
    button.focus()
    page.keyboard.press("Enter")
    removed = page.get_by_role("button", name="Remove bookmark from this thread")
    expect(removed).to_have_attribute("aria-pressed", "true")
    expect(removed).to_be_focused()
    page.get_by_role("button", name="Bookmark this post").first.click()
    expect(page.get_by_role("button", name="Remove bookmark from this post").first).to_be_visible()
    page.goto("/bookmarks/")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=f"A post in “{title}”")).to_be_visible()


def test_email_choice_for_a_thread_is_saved_and_shown(new_context):
    page = new_context("member@example.org").new_page()
    title = f"Email choice {uuid.uuid4().hex[:8]}"
    url = _start_thread(page, title)
    page.get_by_label("Email me about this thread").select_option("weekly")
    page.get_by_role("button", name="Save email choice for this thread").click()
    expect(page.get_by_text(f"Emails about “{title}”: once a week.")).to_be_visible()
    page.goto(url)
    expect(page.get_by_label("Email me about this thread")).to_have_value("weekly")
    page.goto(f"/spaces/{SPACE}/")
    page.get_by_label("Email me about this space").select_option("never")
    page.get_by_role("button", name="Save email choice for this space").click()
    expect(page.get_by_text(re.compile("Emails about .*: never."))).to_be_visible()
    page.get_by_label("Email me about this space").select_option("")
    page.get_by_role("button", name="Save email choice for this space").click()
    expect(page.get_by_text(re.compile("follow your usual choice"))).to_be_visible()
