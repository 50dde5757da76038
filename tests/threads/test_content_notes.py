"""A content note travels with its text (SPEC.md principle 5): the thread page folds it, a quote
of a noted post is folded under the same note, and search, notifications, previews and emails
show the note in place of the text."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from threads import digests
from threads.models import Post, SpaceFollow
from threads.services import create_reply, create_thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db

NOTE = "describes racist abuse"
HARD = "Zephyrine shouted slurs at the nurse"
PLAIN_NOTE = f"[Content note: {NOTE}] (open the thread to read it)"


@pytest.fixture
def noted(space, member):
    return create_thread(
        actor=member, space=space, title="Hard reading", body=HARD, content_note=NOTE
    )


def _outside_details(page: str) -> str:
    """The page with every <details>…</details> taken out: what a reader sees unopened."""
    return re.sub(r"<details.*?</details>", "", page, flags=re.DOTALL)


def _folded_under_note(page: str, text: str) -> bool:
    for block in re.findall(r"<details.*?</details>", page, flags=re.DOTALL):
        if text in block and f"Content note: {NOTE}" in block:
            return True
    return False


def test_thread_page_folds_the_opening_post_and_the_replies(login, noted, other_member, member):
    create_reply(actor=other_member, thread=noted, body="Zephyrine did it to me as well")
    page = login(member).get(noted.get_absolute_url()).content.decode()
    assert _folded_under_note(page, HARD)
    assert _folded_under_note(page, "Zephyrine did it to me as well")
    assert "Zephyrine" not in _outside_details(page)


def test_quoting_a_noted_post_keeps_its_text_out_of_the_draft(login, noted, other_member):
    opening = noted.posts.get()
    page = login(other_member).get(thread_url(noted, f"reply/?quote={opening.pk}"))
    text = page.content.decode()
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", text, flags=re.DOTALL).group(1)
    assert "Zephyrine" not in textarea
    assert f'value="{opening.pk}"' in text, "the quote is kept by reference"
    assert _folded_under_note(text, HARD), "the preview of the quoted post is folded"
    assert "Zephyrine" not in _outside_details(text)


def test_a_quote_reply_of_a_noted_post_shows_the_quote_folded(login, noted, other_member, member):
    opening = noted.posts.get()
    response = login(other_member).post(
        thread_url(noted, "reply/"), {"body": "I am so sorry.", "quote": opening.pk}
    )
    assert response.status_code == 302
    reply = Post.objects.get(thread=noted, is_opening=False)
    assert reply.quote_of == opening
    assert "Zephyrine" not in reply.body_html
    assert "Zephyrine" not in reply.body
    page = login(member).get(noted.get_absolute_url()).content.decode()
    article = page[page.index(f'id="post-{reply.pk}"') :]
    article = article[: article.index("</article>")]
    assert _folded_under_note(article, HARD), "the quote is shown, folded under the note"
    assert "I am so sorry." in article
    assert "Zephyrine" not in _outside_details(article)


def test_the_live_fragment_of_a_quote_reply_is_folded_too(login, noted, other_member, member):
    opening = noted.posts.get()
    reply = create_reply(actor=other_member, thread=noted, body="Same here.", quote=opening)
    fragment = login(member).get(thread_url(noted, f"posts/{reply.pk}/fragment/"))
    html = fragment.content.decode()
    assert _folded_under_note(html, HARD)
    assert "Zephyrine" not in _outside_details(html)


def test_search_shows_the_note_in_place_of_the_snippet(login, noted, other_member):
    page = login(other_member).get("/search/?q=Zephyrine").content.decode()
    assert "Hard reading" in page, "the post is found"
    assert PLAIN_NOTE in page
    assert "slurs" not in page


def test_search_for_an_ordinary_post_still_shows_its_snippet(login, thread, other_member):
    page = login(other_member).get("/search/?q=mentoring").content.decode()
    assert "<mark>mentoring</mark>" in page


def test_digest_email_shows_the_note_not_the_text(space, noted, member, other_member):
    SpaceFollow.objects.create(user=other_member, space=space)
    create_thread(
        actor=member, space=space, title="Second", body=HARD + " again", content_note=NOTE
    )
    create_reply(actor=other_member, thread=noted, body="Zephyrine is known to us")
    sent = digests.send_digest(other_member, base_url="https://forum.example")
    sent += digests.send_digest(member, base_url="https://forum.example")
    assert sent == 2
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert "Zephyrine" not in message.body
        assert "Zephyrine" not in html
        assert PLAIN_NOTE in message.body
        assert PLAIN_NOTE in html


def test_notifications_page_never_shows_noted_text(login, noted, member, other_member):
    create_reply(actor=other_member, thread=noted, body="Zephyrine again")
    page = login(member).get("/notifications/").content.decode()
    assert "replied to" in page
    assert "Zephyrine" not in page


def test_home_and_space_list_never_show_noted_text(login, space, noted, other_member):
    for url in ("/", space.get_absolute_url()):
        page = login(other_member).get(url).content.decode()
        assert "Hard reading" in page
        assert "Zephyrine" not in page


def test_moderators_queue_card_folds_a_noted_post(login, space, noted, moderator, other_member):
    space.premoderation_count = 5
    space.save()
    create_reply(actor=other_member, thread=noted, body="Zephyrine waits for approval")
    page = login(moderator).get("/moderation/").content.decode()
    assert _folded_under_note(page, "Zephyrine waits for approval")
    assert "Zephyrine" not in _outside_details(page)
