import pytest

from community.models import GuidelinesVersion, Membership
from threads.models import Post, Thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def test_member_replies_and_counters_move(login, thread, other_member):
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": "Same here."})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.post_count == 2
    reply = Post.objects.get(thread=thread, is_opening=False)
    assert thread.last_post_at == reply.created_at
    page = login(other_member).get(thread_url(thread))
    assert b"Same here." in page.content


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Write something"),
        ("   ", "Write something"),
        ("z" * 20_001, "20,000 characters or fewer"),
    ],
)
def test_bad_reply_shows_error_keeps_text_and_saves_nothing(
    login, thread, other_member, body, message
):
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": body})
    assert response.status_code == 200
    assert message in response.content.decode()
    if body.strip():
        assert body in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1


def test_reply_to_locked_thread_is_refused_with_a_message(login, thread, other_member):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": "Keep this text"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "locked" in text
    assert "Keep this text" in text
    assert Post.objects.filter(thread=thread).count() == 1
    page = login(other_member).get(thread_url(thread))
    assert b"Replies are closed" in page.content


def test_moderator_may_reply_to_locked_thread(login, thread, moderator):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    login(moderator).post(thread_url(thread, "reply/"), {"body": "Closing note"})
    assert Post.objects.filter(thread=thread).count() == 2


def test_reply_after_leaving_the_space_is_404_and_saves_nothing(login, thread, other_member):
    Membership.objects.filter(user=other_member).delete()
    response = login(other_member).post(thread_url(thread, "reply/"), {"body": "Hello?"})
    assert response.status_code == 404
    assert Post.objects.filter(thread=thread).count() == 1


def test_reply_with_thread_id_from_another_space_is_404(login, thread, other_space, other_member):
    Membership.objects.create(user=other_member, space=other_space)
    response = login(other_member).post(
        f"/spaces/{other_space.slug}/threads/{thread.pk}/reply/", {"body": "wrong place"}
    )
    assert response.status_code == 404
    assert Post.objects.filter(thread=thread).count() == 1


def test_outsider_cannot_reply(login, thread, outsider):
    assert login(outsider).post(thread_url(thread, "reply/"), {"body": "x"}).status_code == 404
    assert Post.objects.filter(thread=thread).count() == 1


def test_muted_member_reply_is_refused_with_until_when(login, thread, muted_member):
    response = login(muted_member).post(thread_url(thread, "reply/"), {"body": "let me"})
    assert response.status_code == 403
    assert "muted" in response.content.decode()
    assert "let me" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1


def test_quote_reply_prefills_the_quoted_text(login, thread, other_member):
    opening = thread.posts.get()
    page = login(other_member).get(thread_url(thread, f"reply/?quote={opening.pk}"))
    text = page.content.decode()
    assert "&gt; We started reverse mentoring" in text
    assert "Mel Member" in text
    response = login(other_member).post(
        thread_url(thread, "reply/"),
        {"body": "> We started reverse mentoring\n\nSo did we.", "quote": opening.pk},
    )
    assert response.status_code == 302
    reply = Post.objects.get(thread=thread, is_opening=False)
    assert reply.quote_of == opening
    assert "<blockquote>" in reply.body_html


def test_quoting_an_anonymous_post_does_not_name_its_author(login, anonymous_thread, member):
    opening = anonymous_thread.posts.get()
    page = login(member).get(thread_url(anonymous_thread, f"reply/?quote={opening.pk}"))
    text = page.content.decode()
    assert "A member of this space" in text
    assert "Olu" not in text


def test_quote_of_post_in_another_thread_is_404(login, thread, anonymous_thread, other_member):
    other_post = anonymous_thread.posts.get()
    response = login(other_member).post(
        thread_url(thread, "reply/"), {"body": "x", "quote": other_post.pk}
    )
    assert response.status_code == 404
    assert Post.objects.filter(thread=thread).count() == 1


def test_reply_with_pending_guidelines_redirects_and_keeps_draft(login, thread, other_member):
    GuidelinesVersion.objects.create(
        space=thread.space, version=2, body="v2", body_html="<p>v2</p>"
    )
    client = login(other_member)
    response = client.post(thread_url(thread, "reply/"), {"body": "My careful reply"})
    assert response.status_code == 302
    assert "guidelines" in response.url
    assert Post.objects.filter(thread=thread).count() == 1
    accepted = client.post(response.url, {"accept": "on"})
    back = client.get(accepted.url)
    assert "My careful reply" in back.content.decode()


def test_reply_is_broadcast_after_commit(
    monkeypatch, thread, other_member, django_capture_on_commit_callbacks
):
    import json

    sent = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, json.loads(message["text"])))

    monkeypatch.setattr("realtime.broadcast.get_channel_layer", Layer)
    from threads.services import create_reply

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post = create_reply(actor=other_member, thread=thread, body="live")
    assert sent == [], "nothing is sent before the reply is committed"
    for callback in callbacks:
        callback()
    frame = {"type": "post.created", "thread_id": thread.pk, "post_id": post.pk}
    assert (f"thread.{thread.pk}", frame) in sent
