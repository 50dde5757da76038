"""Open sockets do not outlive the member's standing (SPEC.md principle 5).

Every live command reads the member again first (their sign-in session, account, suspension;
the services then their membership, ban, removal and mute), so a change that reached no socket
still stops the next command before anything is stored. And when standing changes through the
product's own paths (sign-out, ending other sessions, a password change, erasure, sanctions),
the member's open sockets, live rooms and thread pages alike, are told why and closed at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import sanctions
from community.models import Membership, User
from community.site.account_data import erase_account
from realtime import policy, services
from realtime.broadcast import encode, member_group, session_group
from realtime.models import LiveEvent, ParticipantRemoval
from tests.conftest import make_member

from .conftest import ORIGIN, Room, make_session, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async
PASSWORD = "pw-for-tests-123"


def later(**delta):
    return timezone.now() + timedelta(**delta)


def signed_in(user) -> Client:
    """A browser signed in through allauth's own sign-in page (so allauth tracks the session)."""
    cache.clear()  # allauth's rate limits count failed sign-ins of earlier tests from this address
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


async def open_socket(cookie: str, path: str) -> Room:
    from community.asgi import application

    headers = [
        (b"origin", ORIGIN),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return Room(comm)


async def live_room(cookie: str, session) -> Room:
    room = await open_socket(cookie, f"/ws/live/{session.pk}/")
    await room.hello()
    return room


async def thread_page(cookie: str, thread) -> Room:
    page = await open_socket(cookie, f"/ws/threads/{thread.pk}/")
    await page.send({"type": "ping"})  # the thread socket ignores it; the connect has finished
    assert await page.silent(0.2)
    return page


async def closed_with(room: Room) -> int:
    return (await room.comm.receive_output(2))["code"]


async def refused(room: Room, code: str = "forbidden") -> dict:
    frame = await room.recv_type("error")
    assert frame["code"] == code, frame
    return frame


async def still_open(room: Room) -> None:
    await room.send({"type": "ping"})
    assert (await room.recv_type("pong"))["type"] == "pong"


async def stays_open(page: Room) -> None:
    """Nothing but the header's unread count (the sanction's notice) reaches the thread page."""
    while not await page.comm.receive_nothing(0.3):
        output = await page.comm.receive_output()
        assert output["type"] == "websocket.send", output
        assert '"type":"notifications"' in output["text"], output


def cookie_of(client: Client) -> str:
    return client.cookies["sessionid"].value


# -- every command reads the member again -------------------------------------------------------


def suspend_quietly(user):
    User.objects.filter(pk=user.pk).update(
        suspended_until=later(days=2), suspension_reason="Breach of confidentiality"
    )


def deactivate_quietly(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def change_password_quietly(user):
    user = User.objects.get(pk=user.pk)
    user.set_password("a-new-password-456")
    user.save()


def ban_quietly(user, space):
    Membership.objects.filter(user=user, space=space).update(status=Membership.Status.BANNED)


def remove_quietly(user, session):
    ParticipantRemoval.objects.create(session=session, user=user, reason="Breach")


# (what changes in the database without telling any socket, the error code, the close code)
QUIET_CHANGES = {
    "suspended": ("forbidden", 4403),
    "deactivated": ("signed_out", 4401),
    "session deleted": ("signed_out", 4401),
    "password changed elsewhere": ("signed_out", 4401),
    "banned": ("forbidden", 4403),
    "removed from the session": ("forbidden", 4403),
}


@pytest.mark.parametrize("command", ["message.send", "question.ask", "hello", "ping"])
@pytest.mark.parametrize("change", sorted(QUIET_CHANGES))
async def test_a_change_no_socket_heard_of_stops_the_next_command_and_stores_nothing(
    live_session, member, change, command
):
    cookie = await db(session_cookie)(member)
    room = await live_room(cookie, live_session)
    apply = {
        "suspended": lambda: suspend_quietly(member),
        "deactivated": lambda: deactivate_quietly(member),
        "session deleted": lambda: Session.objects.filter(session_key=cookie).delete(),
        "password changed elsewhere": lambda: change_password_quietly(member),
        "banned": lambda: ban_quietly(member, live_session.space),
        "removed from the session": lambda: remove_quietly(member, live_session),
    }[change]
    await db(apply)()
    frame = {"type": command, "body": "Still here?", "client_msg_id": "q1", "after_seq": 0}
    await room.send(frame)
    code, close = QUIET_CHANGES[change]
    error = await refused(room, code)
    assert error["detail"]
    assert await closed_with(room) == close
    assert not await db(LiveEvent.objects.exists)()


async def test_the_suspension_refusal_says_until_when(live_session, member):
    room = await live_room(await db(session_cookie)(member), live_session)
    await db(suspend_quietly)(member)
    await room.send({"type": "message.send", "body": "Hello", "client_msg_id": "s1"})
    error = await refused(room)
    until = await db(lambda: User.objects.get(pk=member.pk).suspended_until)()
    assert error["until"] == until.isoformat()
    assert "suspended until" in error["detail"] and "Breach of confidentiality" in error["detail"]
    assert await closed_with(room) == 4403


async def test_a_password_change_elsewhere_says_so(live_session, member):
    room = await live_room(await db(session_cookie)(member), live_session)
    await db(change_password_quietly)(member)
    await room.send({"type": "hand.raise"})
    error = await refused(room, "signed_out")
    assert error["reason"] == "password_changed" and "password" in error["detail"]
    assert await closed_with(room) == 4401


async def test_a_mute_no_socket_heard_of_refuses_the_message_and_keeps_the_connection(
    live_session, member
):
    room = await live_room(await db(session_cookie)(member), live_session)
    await db(Membership.objects.filter(user=member).update)(
        muted_until=later(hours=1), mute_reason="Tone"
    )
    await room.send({"type": "message.send", "body": "Hello", "client_msg_id": "m1"})
    error = await refused(room, "muted")
    assert "muted" in error["detail"] and "Tone" in error["detail"] and error["until"]
    await still_open(room)
    assert not await db(LiveEvent.objects.exists)()
    # A client that reconnects learns it from the welcome, before trying to send.
    await room.hello()
    assert room.welcome["you"]["muted"] == {"until": error["until"], "detail": error["detail"]}
    await room.close()


def test_standing_is_read_in_two_queries_whatever_the_member_has(
    django_assert_num_queries, make_space, member, live_session
):
    key = session_cookie(member)
    with django_assert_num_queries(2):
        assert policy.check_socket_member(member.pk, key) == member
    for _ in range(5):
        space = make_space("More")
        Membership.objects.create(user=member, space=space)
        other = make_session(space)
        ParticipantRemoval.objects.create(session=other, user=member)
        session_cookie(member)  # more sign-ins of the same member
    with django_assert_num_queries(2):
        assert policy.check_socket_member(member.pk, key) == member


def send_as_the_consumer_does(user_id, key, session, client_msg_id, **extra):
    """The live consumer's command path: read the member again, then the service."""
    actor = policy.check_socket_member(user_id, key)
    return services.send_live_message(
        actor=actor, session=session, body="Hello", client_msg_id=client_msg_id, **extra
    )


def test_a_live_command_runs_a_constant_small_number_of_queries(
    settings, django_assert_max_num_queries, make_space, member, other_member, live_session
):
    """The standing check adds two queries to the command; neither grows with the data. The
    message itself: the lock, one read for what client_msg_id already names and the member's
    membership, removal and facilitation, guidelines (one), pace, watched words, reply_to, and
    the two writes (issue 17: the fixed cost of every message; it was 16)."""
    settings.LIVE_RATE_LIMIT = (100, 10)
    key = session_cookie(member)
    send_as_the_consumer_does(member.pk, key, live_session, "warm-up")
    budget = 12
    with django_assert_max_num_queries(budget) as first:
        send_as_the_consumer_does(member.pk, key, live_session, "first", reply_to=1)
    for n in range(20):
        space = make_space("More")
        Membership.objects.create(user=member, space=space)
        ParticipantRemoval.objects.create(session=make_session(space), user=member)
        services.send_live_message(
            actor=other_member, session=live_session, body=f"{n}", client_msg_id=f"o{n}"
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        send_as_the_consumer_does(member.pk, key, live_session, "second", reply_to=1)


# -- the delivery guard ----------------------------------------------------------------------------


async def test_after_a_kick_the_socket_forwards_nothing_more(live_session, member, other_member):
    room = await live_room(await db(session_cookie)(member), live_session)
    layer = get_channel_layer()
    kick = {"type": "error", "code": "forbidden", "detail": "Removed.", "client_msg_id": None}
    await layer.group_send(
        member_group(live_session.pk, member.pk),
        {"type": "live.control", "action": "kick", "text": encode(kick)},
    )
    said = {"type": "message", "seq": 1, "author": None, "body_html": "<p>After</p>"}
    await layer.group_send(
        session_group(live_session.pk), {"type": "live.event", "seq": 1, "text": encode(said)}
    )
    await layer.group_send(session_group(live_session.pk), {"type": "live.push", "text": "{}"})
    assert (await room.recv())["detail"] == "Removed."
    assert await closed_with(room) == 4403
    assert await room.comm.receive_nothing(0.3)


# -- the product's own paths tell the open sockets at once ----------------------------------------


async def test_signing_out_closes_that_session_s_sockets_and_no_other(live_session, member, thread):
    here, there = await db(signed_in)(member), await db(signed_in)(member)
    room, page = await live_room(cookie_of(here), live_session), None
    page = await thread_page(cookie_of(here), thread)
    elsewhere = await live_room(cookie_of(there), live_session)
    response = await db(here.post)(reverse("account_logout"))
    assert response.status_code == 302
    for socket in (room, page):
        error = await refused(socket, "signed_out")
        assert error["reason"] == "signed_out"
        assert await closed_with(socket) == 4401
    await still_open(elsewhere)
    await elsewhere.close()


async def test_ending_other_sessions_closes_their_sockets_and_keeps_this_one(
    live_session, member, thread
):
    here, there = await db(signed_in)(member), await db(signed_in)(member)
    mine = await live_room(cookie_of(here), live_session)
    other_room = await live_room(cookie_of(there), live_session)
    other_page = await thread_page(cookie_of(there), thread)
    response = await db(here.post)(reverse("usersessions_list"))
    assert response.status_code == 302
    for socket in (other_room, other_page):
        error = await refused(socket, "signed_out")
        assert error["reason"] == "session_ended"
        assert await closed_with(socket) == 4401
    await still_open(mine)
    await mine.close()


async def test_a_password_change_closes_other_sessions_and_renews_this_one(
    live_session, member, thread
):
    here, there = await db(signed_in)(member), await db(signed_in)(member)
    mine = await live_room(cookie_of(here), live_session)
    other_room = await live_room(cookie_of(there), live_session)
    other_page = await thread_page(cookie_of(there), thread)
    response = await db(here.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-pw-789!", "password2": "a-new-pw-789!"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    for socket in (other_room, other_page):
        error = await refused(socket, "signed_out")
        assert error["reason"] == "password_changed"
        assert await closed_with(socket) == 4401
    # This browser stays signed in under a new session key: its socket is told to reconnect,
    # and the reconnect (with the new cookie) is let in.
    notice = await mine.recv_type("notice")
    assert notice["code"] == "reconnect"
    assert await closed_with(mine) == policy.CLOSE_RECONNECT
    again = await live_room(cookie_of(here), live_session)
    await still_open(again)
    await again.close()


async def test_erasure_closes_every_socket_of_the_member(live_session, member, thread):
    cookie = cookie_of(await db(signed_in)(member))
    room, page = await live_room(cookie, live_session), await thread_page(cookie, thread)
    await db(erase_account)(member)
    for socket in (room, page):
        error = await refused(socket, "signed_out")
        assert error["reason"] == "account_closed"
        assert await closed_with(socket) == 4401


async def test_a_ban_closes_the_thread_page_socket_saying_why(moderator, member, thread):
    page = await thread_page(await db(session_cookie)(member), thread)
    await db(sanctions.ban_member)(
        actor=moderator, space=thread.space, member=member, reason="Abuse"
    )
    error = await refused(page)
    assert error["detail"].startswith("You have been banned from") and "Abuse" in error["detail"]
    assert await closed_with(page) == 4403


async def test_a_removal_closes_a_space_thread_s_socket_but_not_a_community_thread_s(
    moderator, member, other_member, thread
):
    from threads.services import create_thread

    shared = await db(create_thread)(
        actor=other_member,
        space=thread.space,
        title="Open to all members",
        body="Everyone signed in can read this.",
        visibility="community",
    )
    cookie = await db(session_cookie)(member)
    private, community = await thread_page(cookie, thread), await thread_page(cookie, shared)
    await db(sanctions.remove_member)(
        actor=moderator, space=thread.space, member=member, reason="Inactive"
    )
    error = await refused(private)
    assert error["detail"].startswith("A moderator removed you from")
    assert await closed_with(private) == 4403
    await stays_open(community)
    await community.close()


async def test_a_suspension_is_told_to_the_thread_page_which_they_may_still_read(
    staff, member, thread
):
    page = await thread_page(await db(session_cookie)(member), thread)
    until = later(days=2)
    await db(sanctions.suspend_member)(actor=staff, member=member, until=until, reason="Abuse")
    notice = await page.recv_type("notice")
    assert notice["code"] == "suspended" and notice["until"] == until.isoformat()
    assert "suspended until" in notice["detail"]
    await stays_open(page)
    await page.close()


async def test_a_suspension_closes_the_live_room_saying_until_when(staff, member, live_session):
    room = await live_room(await db(session_cookie)(member), live_session)
    until = later(days=2)
    await db(sanctions.suspend_member)(actor=staff, member=member, until=until, reason="Abuse")
    error = await refused(room)
    assert error["until"] == until.isoformat() and "Abuse" in error["detail"]
    assert await closed_with(room) == 4403


async def test_a_ban_in_another_space_leaves_the_thread_page_alone(other_space, member, thread):
    other_mod = await db(make_member)(other_space, "Omar Othermod", is_moderator=True)
    await db(Membership.objects.create)(user=member, space=other_space)
    page = await thread_page(await db(session_cookie)(member), thread)
    await db(sanctions.ban_member)(
        actor=other_mod, space=other_space, member=member, reason="Elsewhere"
    )
    await stays_open(page)
    await page.close()
