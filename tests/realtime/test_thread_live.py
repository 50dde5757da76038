"""Live thread pages: the push names a new reply and nothing else; the page fetches it."""

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from tests.realtime.conftest import open_room


def reply(author, thread, body, **extra):
    from threads.services import create_reply

    return create_reply(actor=author, thread=thread, body=body, **extra)


@pytest.mark.django_db(transaction=True)
async def test_member_on_thread_page_is_told_of_a_new_reply_without_its_content(
    member, other_member, anonymous_thread
):
    room, connected, code = await open_room(member, 0, path=f"/ws/threads/{anonymous_thread.pk}/")
    assert connected and code is None
    post = await database_sync_to_async(reply)(
        other_member, anonymous_thread, "Lived experience, shared anonymously", anonymous=True
    )
    frame = await room.recv()
    assert frame == {"type": "post.created", "thread_id": anonymous_thread.pk, "post_id": post.pk}
    await room.close()


@pytest.mark.django_db(transaction=True)
async def test_follower_is_told_to_refresh_the_unread_count(member, other_member, thread):
    from threads.services import follow_thread

    await database_sync_to_async(follow_thread)(actor=other_member, thread=thread)
    room, connected, _ = await open_room(other_member, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected
    await database_sync_to_async(reply)(member, thread, "A reply the follower hears about")
    frames = [await room.recv(), await room.recv()]
    assert {"type": "notifications"} in frames
    await room.close()


@pytest.mark.django_db(transaction=True)
async def test_outsider_cannot_listen_to_a_private_thread(outsider, thread):
    room, connected, _ = await open_room(outsider, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected  # accepted, then closed at once with a code the client can act on
    closing = await room.comm.receive_output(timeout=2)
    assert closing == {"type": "websocket.close", "code": 4404}


@pytest.mark.django_db
def test_fragment_renders_the_post_for_this_reader(login, member, other_member, anonymous_thread):
    post = reply(other_member, anonymous_thread, "An anonymous reply", anonymous=True)
    url = reverse("post_fragment", args=[anonymous_thread.space.slug, anonymous_thread.pk, post.pk])
    body = login(member).get(url).content.decode()
    assert "An anonymous reply" in body
    assert "A member of this space" in body
    assert other_member.display_name not in body
    assert other_member.email not in body


@pytest.mark.django_db
def test_outsider_gets_404_for_a_fragment(login, outsider, member, thread):
    post = reply(member, thread, "Private")
    url = reverse("post_fragment", args=[thread.space.slug, thread.pk, post.pk])
    assert login(outsider).get(url).status_code == 404


@pytest.mark.django_db
def test_notification_count_endpoint(login, member, other_member, thread):
    from threads.services import follow_thread

    follow_thread(actor=other_member, thread=thread)
    reply(member, thread, "News")
    response = login(other_member).get(reverse("notifications_count"))
    assert json.loads(response.content) == {"unread": 1}


@pytest.mark.django_db
def test_thread_page_loads_the_live_module_without_inline_script(login, member, thread):
    body = login(member).get(thread.get_absolute_url()).content.decode()
    assert "threads/thread_live.js" in body
    assert "<script>" not in body


@pytest.mark.django_db(transaction=True)
async def test_moderator_sees_who_asked_an_anonymous_question_and_peers_do_not(
    enter, member, other_member, moderator, live_session
):
    peer = await enter(other_member, live_session)
    mod = await enter(moderator, live_session)
    asker = await enter(member, live_session)
    await asker.send(
        {
            "type": "question.ask",
            "body": "Is it safe to say this?",
            "anonymous": True,
            "client_msg_id": "q-1",
        }
    )
    question = await peer.recv_type("question")
    assert question["author"] is None
    reveal = await mod.recv_type("author")
    assert reveal == {
        "type": "author",
        "target_seq": question["seq"],
        "author": {"id": member.pk, "display_name": member.display_name},
    }
    # A moderator joining later gets it in the replay; a peer joining later does not.
    late_mod = await enter(moderator, live_session)
    assert (await late_mod.recv_type("author"))["target_seq"] == question["seq"]
    late_peer = await enter(other_member, live_session)
    assert await late_peer.silent()
    await late_peer.close()
    for room in (peer, mod, asker, late_mod):
        await room.close()


@pytest.mark.django_db(transaction=True)
async def test_open_thread_pages_hear_that_a_post_was_hidden(
    member, other_member, moderator, thread
):
    from threads.services import hide_post

    post = await database_sync_to_async(reply)(other_member, thread, "Something to review")
    room, connected, _ = await open_room(member, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected
    await database_sync_to_async(hide_post)(actor=moderator, post=post, reason="Personal attack")
    frame = await room.recv()
    assert frame == {"type": "post.changed", "thread_id": thread.pk, "post_id": post.pk}
    await room.close()


@pytest.mark.django_db
def test_fragment_of_a_hidden_post_is_404_for_a_peer(
    login, member, other_member, moderator, thread
):
    from threads.services import hide_post

    post = reply(other_member, thread, "Something to review")
    hide_post(actor=moderator, post=post, reason="Personal attack")
    url = reverse("post_fragment", args=[thread.space.slug, thread.pk, post.pk])
    assert login(member).get(url).status_code == 404
    assert login(moderator).get(url).status_code == 200
