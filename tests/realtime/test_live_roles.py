"""An open socket does not keep a role its member no longer holds (SPEC.md principle 5).

A live socket reads at connect what its member may see: the space's moderators' and staff's
author names of anonymous messages, the facilitators' console and reports, the backchannel.
Whatever those roles are read from tells the member's sockets when it changes, by any path
(the services, the admin, a shell): a membership's role flags, staff, a session's
facilitators, an MFA authenticator. A socket whose roles changed closes with 4012 and the client
reconnects at once, authorized afresh; one whose member must now set up MFA is refused as at
connect; nothing else closes.
"""

from __future__ import annotations

import uuid

import pytest
from allauth.mfa.models import Authenticator
from channels.db import database_sync_to_async

from community import policy as community_policy
from community import services as community_services
from community.models import Membership, User
from realtime import policy
from tests.conftest import make_member

from .conftest import Room, make_session, open_room

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def cid() -> str:
    return str(uuid.uuid4())


async def told_to_reconnect(room: Room) -> None:
    frame = await room.recv_type("notice")
    assert frame == policy.ROLES_CHANGED
    assert (await room.comm.receive_output(2))["code"] == policy.CLOSE_RECONNECT


async def refused_for_mfa(room: Room) -> None:
    frame = await room.recv_type("error")
    assert frame["code"] == "mfa_required"
    assert frame["detail"] == community_policy.MFA_REQUIRED_DETAIL
    assert (await room.comm.receive_output(2))["code"] == policy.CLOSE_NOT_ALLOWED


async def still_open(room: Room) -> None:
    await room.send({"type": "ping"})
    assert (await room.recv_type("pong"))["type"] == "pong"


async def ask_anonymously(room: Room, body: str) -> None:
    await room.send(
        {"type": "question.ask", "body": body, "anonymous": True, "client_msg_id": cid()}
    )
    await room.recv_type("ack")


def membership(user, space) -> Membership:
    return Membership.objects.get(user=user, space=space)


def demote(user, space) -> None:
    """A save of the membership as the admin or a shell would make it."""
    row = membership(user, space)
    row.is_moderator = False
    row.save()


async def set_moderator(actor, user, space, moderator: bool) -> bool:
    """Through the members page's service, as a space moderator or staff would."""
    return await db(community_services.set_roles)(
        actor=actor,
        membership=await db(membership)(user, space),
        moderator=moderator,
        facilitator=False,
    )


# -- moderators: author names of anonymous messages ---------------------------------------------


async def test_a_demoted_moderator_stops_seeing_who_wrote_anonymous_questions(
    live_session, space, moderator, member, staff, enter
):
    watcher = await enter(moderator, live_session)
    asker = await enter(member, live_session)
    await ask_anonymously(asker, "Before the change")
    assert (await watcher.recv_type("question"))["author"] is None
    assert (await watcher.recv_type("author"))["author"]["display_name"] == "Mel Member"

    changed = await set_moderator(staff, moderator, space, False)
    assert changed
    await told_to_reconnect(watcher)

    again = await enter(moderator, live_session)  # the replay of the first question too
    assert again.welcome["you"]["facilitator"] is False
    assert await again.silent()
    await ask_anonymously(asker, "After the change")
    question = await again.recv_type("question")
    assert question["author"] is None and "Mel" not in str(question)
    assert await again.silent()  # no "author" frame
    await asker.close()
    await again.close()


async def test_a_member_made_moderator_is_reconnected_and_then_sees_authors(
    live_session, space, member, other_member, staff, enter
):
    watcher = await enter(other_member, live_session)
    asker = await enter(member, live_session)
    await set_moderator(staff, other_member, space, True)
    await told_to_reconnect(watcher)
    again = await enter(other_member, live_session)
    await ask_anonymously(asker, "Who asked?")
    await again.recv_type("question")
    assert (await again.recv_type("author"))["author"]["display_name"] == "Mel Member"
    await asker.close()
    await again.close()


async def test_a_role_taken_away_in_the_admin_or_a_shell_reaches_the_socket(
    live_session, space, moderator, enter
):
    """Not only the members page: any save of the membership."""
    watcher = await enter(moderator, live_session)
    await db(demote)(moderator, space)
    await told_to_reconnect(watcher)


async def test_a_socket_that_has_not_said_hello_yet_is_reconnected_too(
    live_session, space, moderator
):
    room, connected, _ = await open_room(moderator, live_session.pk)
    assert connected
    await room.send({"type": "ping"})  # answered once the connect has joined the groups
    await room.recv_type("pong")
    await db(demote)(moderator, space)
    await told_to_reconnect(room)


async def test_a_change_between_the_connect_and_the_hello_is_caught_by_the_hello(
    live_session, space, moderator, monkeypatch
):
    """The change is committed after the connect read the roles and before any group could tell
    the socket: the hello reads them again."""
    from realtime import broadcast

    monkeypatch.setattr(broadcast, "_group_send", lambda group, message: None)  # nothing told
    room, connected, _ = await open_room(moderator, live_session.pk)
    assert connected
    await room.send({"type": "ping"})
    await room.recv_type("pong")
    await db(demote)(moderator, space)
    await room.send({"type": "hello", "after_seq": 0})
    await told_to_reconnect(room)


async def test_staff_taken_away_closes_staff_sockets(live_session, space, enter):
    person = await db(make_member)(space, "Stella Staff")

    def set_staff(value: bool):
        user = User.objects.get(pk=person.pk)
        user.is_staff = value
        user.save()

    await db(set_staff)(True)
    watcher = await enter(person, live_session)
    assert await watcher.silent()
    await db(set_staff)(False)
    await told_to_reconnect(watcher)


# -- facilitators: the console, reports, the backchannel ----------------------------------------


@pytest.mark.parametrize("how", ["remove", "set", "clear", "from the member's side"])
async def test_a_facilitator_taken_off_the_session_is_reconnected(space, enter, how):
    host = await db(make_member)(space, "Hana Host")
    session = await db(make_session)(space, host)
    console = await enter(host, session)
    assert console.welcome["you"]["facilitator"] is True

    def take_off():
        if how == "remove":
            session.facilitators.remove(host)
        elif how == "set":
            session.facilitators.set([])
        elif how == "clear":
            session.facilitators.clear()
        else:
            User.objects.get(pk=host.pk).facilitated_sessions.remove(session)

    await db(take_off)()
    await told_to_reconnect(console)
    again = await enter(host, session)
    assert again.welcome["you"]["facilitator"] is False
    await again.send({"type": "backchannel.send", "body": "Only us?", "client_msg_id": cid()})
    assert (await again.recv_type("error"))["code"] == "forbidden"
    await again.close()


async def test_a_member_made_a_facilitator_of_the_session_is_reconnected(
    live_session, member, enter
):
    room = await enter(member, live_session)
    await db(live_session.facilitators.add)(member)
    await told_to_reconnect(room)
    again = await enter(member, live_session)
    assert again.welcome["you"]["facilitator"] is True
    await again.close()


# -- nothing else closes --------------------------------------------------------------------------


async def test_changes_that_leave_the_roles_as_they_were_keep_the_socket_open(
    live_session, space, other_space, moderator, member, staff, enter
):
    watcher = await enter(moderator, live_session)
    room = await enter(member, live_session)

    def unrelated_changes():
        # The same roles saved again, a role in another space, a sign-in, a profile edit.
        membership(moderator, space).save()
        Membership.objects.create(user=member, space=other_space, is_moderator=True)
        user = User.objects.get(pk=member.pk)
        user.display_name = "Mel M."
        user.save()
        from django.contrib.auth.models import update_last_login

        update_last_login(None, User.objects.get(pk=moderator.pk))

    await db(unrelated_changes)()
    await still_open(watcher)
    await still_open(room)
    assert await watcher.silent() and await room.silent()
    await watcher.close()
    await room.close()


async def test_another_sessions_facilitators_do_not_close_this_room(
    live_session, space, member, enter
):
    room = await enter(member, live_session)
    other = await db(make_session)(space, None, title="Another session")
    await db(other.facilitators.add)(member)
    # Their roles in this room are the same: still open, nothing said.
    await still_open(room)
    assert await room.silent()
    await room.close()


# -- MFA for roles --------------------------------------------------------------------------------


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED_FOR_ROLES = True


def give_authenticator(user) -> Authenticator:
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )


async def test_removing_the_last_authenticator_closes_a_moderators_sockets(
    mfa_on, live_session, moderator, thread, enter
):
    authenticator = await db(give_authenticator)(moderator)
    room = await enter(moderator, live_session)
    page, connected, _ = await open_room(moderator, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected
    await page.send({"type": "ping"})
    assert await page.silent(0.2)

    await db(authenticator.delete)()
    await refused_for_mfa(room)
    await refused_for_mfa(page)


async def test_a_member_made_moderator_without_mfa_is_refused_until_they_set_it_up(
    mfa_on, live_session, space, member, staff, enter
):
    room = await enter(member, live_session)
    await set_moderator(staff, member, space, True)
    await refused_for_mfa(room)
    _, connected, _ = await open_room(member, live_session.pk)
    assert connected  # accepted, then refused with the same frame (SPEC.md)


async def test_a_member_who_needs_no_mfa_keeps_their_socket_when_an_authenticator_goes(
    mfa_on, live_session, member, enter
):
    authenticator = await db(give_authenticator)(member)
    room = await enter(member, live_session)
    await db(authenticator.delete)()
    await still_open(room)
    await room.close()


# -- leaving the space --------------------------------------------------------------------------


async def test_leaving_the_space_closes_its_live_rooms_and_thread_pages(
    live_session, space, member, thread, enter
):
    """Leaving sends no sanction: the membership's deletion is what the sockets hear."""
    room = await enter(member, live_session)
    page, connected, _ = await open_room(member, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected
    await page.send({"type": "ping"})
    assert await page.silent(0.2)

    assert await db(community_services.leave_space)(actor=member, space=space)
    error = await room.recv_type("error")
    assert error["code"] == "forbidden" and error["detail"].startswith("Only active members")
    assert (await room.comm.receive_output(2))["code"] == policy.CLOSE_NOT_ALLOWED
    frame = await page.recv()
    assert frame["code"] == "forbidden"
    assert (await page.comm.receive_output(2))["code"] == policy.CLOSE_NOT_ALLOWED


async def test_a_banned_moderator_is_told_why_not_told_to_reconnect(
    live_session, space, moderator, staff, enter
):
    """A ban changes the roles too; the ban's own message, which says why, closes the room."""
    from community import sanctions

    room = await enter(moderator, live_session)
    await db(sanctions.ban_member)(actor=staff, member=moderator, space=space, reason="Abuse")
    error = await room.recv_type("error")
    assert error["detail"].startswith("You have been banned from") and "Abuse" in error["detail"]
    assert (await room.comm.receive_output(2))["code"] == policy.CLOSE_NOT_ALLOWED
