import pytest

from threads.models import Post, PostRevision, Thread
from threads.services import create_reply

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db


def test_author_edits_post_and_a_revision_is_kept(login, thread, member):
    opening = thread.posts.get()
    response = login(member).post(
        post_url(opening, "edit/"), {"title": "Better title", "body": "New text"}
    )
    assert response.status_code == 302
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.body == "New text"
    assert opening.edited_at is not None
    assert thread.title == "Better title"
    revision = PostRevision.objects.get(post=opening)
    assert revision.body == "We started reverse mentoring for our board last year."
    assert revision.title == "How do we make reverse mentoring stick?"


def test_editing_someone_elses_post_is_refused_and_nothing_changes(login, thread, other_member):
    opening = thread.posts.get()
    response = login(other_member).post(post_url(opening, "edit/"), {"body": "Hijacked"})
    assert response.status_code == 403
    opening.refresh_from_db()
    assert opening.body.startswith("We started")
    assert not PostRevision.objects.exists()


def test_outsider_editing_a_post_gets_404(login, thread, outsider):
    opening = thread.posts.get()
    assert login(outsider).post(post_url(opening, "edit/"), {"body": "x"}).status_code == 404


@pytest.mark.parametrize(
    "data, message",
    [
        ({"title": "ok", "body": "  "}, "Write something"),
        ({"title": "  ", "body": "ok"}, "Enter a title"),
        ({"title": "t" * 201, "body": "ok"}, "200 characters or fewer"),
        ({"title": "ok", "body": "b" * 20_001}, "20,000 characters or fewer"),
    ],
)
def test_bad_edit_shows_error_keeps_text_and_changes_nothing(login, thread, member, data, message):
    opening = thread.posts.get()
    response = login(member).post(post_url(opening, "edit/"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    opening.refresh_from_db()
    assert opening.body.startswith("We started")
    assert not PostRevision.objects.exists()


def test_moderator_edit_needs_a_reason_and_tells_the_author(login, thread, moderator, member):
    opening = thread.posts.get()
    client = login(moderator)
    response = client.post(post_url(opening, "edit/"), {"title": thread.title, "body": "Redacted"})
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    client.post(
        post_url(opening, "edit/"),
        {"title": thread.title, "body": "Redacted", "reason": "Named a patient"},
    )
    opening.refresh_from_db()
    assert opening.body == "Redacted"
    assert member.notifications.filter(kind="moderation", text__contains="Named a patient").exists()


def test_moderator_reads_revisions_but_peers_get_404(
    login, thread, member, moderator, other_member
):
    opening = thread.posts.get()
    login(member).post(post_url(opening, "edit/"), {"title": thread.title, "body": "v2"})
    page = login(moderator).get(post_url(opening, "revisions/"))
    assert page.status_code == 200
    assert "We started reverse mentoring" in page.content.decode()
    assert login(other_member).get(post_url(opening, "revisions/")).status_code == 404
    assert "edited" in login(other_member).get(thread_url(thread)).content.decode()


def test_author_soft_deletes_reply_and_counter_drops(
    login, thread, other_member, member, moderator
):
    reply = create_reply(actor=other_member, thread=thread, body="Oops, wrong thread")
    thread.refresh_from_db()
    assert thread.post_count == 2
    response = login(other_member).post(post_url(reply, "delete/"))
    assert response.status_code == 302
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.is_deleted and Post.objects.filter(pk=reply.pk).exists()
    assert thread.post_count == 1
    assert b"Oops, wrong thread" not in login(member).get(thread_url(thread)).content
    assert b"Oops, wrong thread" in login(moderator).get(thread_url(thread)).content


def test_deleting_someone_elses_post_is_refused(login, thread, other_member):
    opening = thread.posts.get()
    assert login(other_member).post(post_url(opening, "delete/")).status_code == 403
    opening.refresh_from_db()
    assert not opening.is_deleted


def test_deleting_twice_is_harmless(thread, member):
    from threads.services import delete_post

    reply = create_reply(actor=member, thread=thread, body="twice")
    assert delete_post(actor=member, post=reply) is True
    thread.refresh_from_db()
    # The author no longer sees their deleted post: a second delete is a 404.
    with pytest.raises(Exception):
        delete_post(actor=member, post=reply)
    assert Thread.objects.get(pk=thread.pk).post_count == 1


def test_edit_in_locked_thread_is_refused(login, thread, member):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    opening = thread.posts.get()
    response = login(member).post(post_url(opening, "edit/"), {"title": "x", "body": "changed"})
    assert response.status_code == 403
    opening.refresh_from_db()
    assert opening.body.startswith("We started")
