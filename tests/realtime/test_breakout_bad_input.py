"""Breakout rooms refused: each bad ``breakout.*`` frame gets an ``error`` with a clear detail
and nothing is stored; standing is read again on every command (muted, removed, banned); the
room's lock, slow mode and rate limit hold in breakout rooms too."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from community import sanctions
from realtime import breakouts, services
from realtime.models import (
    BreakoutMessage,
    BreakoutRound,
    LiveEvent,
    LiveSession,
    Presence,
)

from ..conftest import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def cid() -> str:
    return str(uuid.uuid4())


def here(session, *users) -> None:
    """Mark ``users`` present in the room, as their open sockets would."""
    for user in users:
        Presence.objects.create(
            session=session, user=user, channel_name=f"test.{session.pk}.{user.pk}"
        )


@pytest.fixture
def people(space):
    return [make_member(space, name) for name in ("Ama", "Ben", "Cleo")]


def nothing_stored() -> bool:
    return not BreakoutRound.objects.exists() and not LiveEvent.objects.exists()


@pytest.mark.parametrize(
    ("rooms", "minutes", "detail"),
    [
        (1, 5, "Open at least 2 breakout rooms."),
        (0, 5, "Open at least 2 breakout rooms."),
        (-3, 5, "Open at least 2 breakout rooms."),
        (21, 5, "Open at most 20 breakout rooms."),
        (4, 5, "4 rooms need at least 4 participants here; 3 are here now."),
        ("two", 5, "rooms must be a number of rooms, or a list of rooms"),
        (True, 5, "rooms must be a number of rooms, or a list of rooms"),
        ([[1, 2]], 5, "rooms must be a number"),  # ids replaced below
        ([[], []], 5, "rooms must be a number of rooms, or a list of rooms"),
        ("dup", 5, "Put each member in one room only."),
        ("stranger", 5, "Choose only participants who are here now (not facilitators)."),
        (2, 0, "duration_minutes must be a whole number from 1 to 120."),
        (2, -5, "duration_minutes must be a whole number from 1 to 120."),
        (2, 10_000, "duration_minutes must be a whole number from 1 to 120."),
        (2, "5", "duration_minutes must be a whole number from 1 to 120."),
        (2, 2.5, "duration_minutes must be a whole number from 1 to 120."),
        (2, True, "duration_minutes must be a whole number from 1 to 120."),
    ],
)
async def test_bad_open_is_refused_and_nothing_stored(
    live_session, facilitator, people, other_member, enter, rooms, minutes, detail
):
    await db(here)(live_session, *people)
    ids = [u.pk for u in people]
    if rooms == "dup":
        rooms = [[ids[0], ids[1]], [ids[1]]]
    elif rooms == "stranger":
        rooms = [[ids[0]], [other_member.pk]]
    elif rooms == [[1, 2]]:
        rooms, detail = [[ids[0], ids[1]]], "Open at least 2 breakout rooms."
    host = await enter(facilitator, live_session)
    try:
        await host.send(
            {
                "type": "breakout.open",
                "rooms": rooms,
                "duration_minutes": minutes,
                "client_msg_id": "x",
            }
        )
        error = await host.recv_type("error")
        assert error["code"] == "invalid" and error["client_msg_id"] == "x"
        assert error["detail"].startswith(detail)
        assert await db(nothing_stored)()
    finally:
        await host.close()


async def test_missing_fields_are_named(live_session, facilitator, enter):
    host = await enter(facilitator, live_session)
    try:
        await host.send({"type": "breakout.open", "rooms": 2, "client_msg_id": "y"})
        error = await host.recv_type("error")
        assert error["code"] == "invalid" and error["detail"] == "Missing field duration_minutes."
        assert await db(nothing_stored)()
    finally:
        await host.close()


async def test_a_participant_cannot_open_or_close_rooms(
    live_session, facilitator, member, people, enter
):
    await db(here)(live_session, *people)
    guest = await enter(member, live_session)
    try:
        await guest.send(
            {"type": "breakout.open", "rooms": 2, "duration_minutes": 5, "client_msg_id": "p"}
        )
        error = await guest.recv_type("error")
        assert error["code"] == "forbidden"
        assert error["detail"] == "Only the session's facilitators can do that."
        assert await db(nothing_stored)()
        await db(breakouts.open_breakouts)(
            actor=facilitator, session=live_session, rooms=2, duration_minutes=5, client_msg_id="f"
        )
        await guest.send({"type": "breakout.close"})
        assert (await guest.recv_type("error"))["code"] == "forbidden"
        assert await db(BreakoutRound.objects.filter(closed_at__isnull=True).count)() == 1
    finally:
        await guest.close()


async def test_opening_twice_or_when_not_live_is_refused(
    space, live_session, facilitator, people, enter
):
    await db(here)(live_session, *people)
    first, created = await db(breakouts.open_breakouts)(
        actor=facilitator, session=live_session, rooms=2, duration_minutes=5, client_msg_id="one"
    )
    assert created
    host = await enter(facilitator, live_session)
    try:
        await host.send(
            {"type": "breakout.open", "rooms": 2, "duration_minutes": 5, "client_msg_id": "two"}
        )
        error = await host.recv_type("error")
        assert error["detail"] == "Breakout rooms are already open: close them first."
        # The same client_msg_id again is the same round, not a second one.
        await host.send(
            {"type": "breakout.open", "rooms": 2, "duration_minutes": 5, "client_msg_id": "one"}
        )
        assert (await host.recv_type("ack"))["round_id"] == first.pk
        assert await db(BreakoutRound.objects.count)() == 1
    finally:
        await host.close()
    lobby = await db(_lobby)(space, facilitator)
    await db(here)(lobby, *people)
    host = await enter(facilitator, lobby)
    try:
        await host.send(
            {"type": "breakout.open", "rooms": 2, "duration_minutes": 5, "client_msg_id": "z"}
        )
        error = await host.recv_type("error")
        assert error["code"] == "not_live"
        assert error["detail"] == "Breakout rooms can be opened once the session is live."
        assert not await db(BreakoutRound.objects.filter(session=lobby).exists)()
    finally:
        await host.close()


def _lobby(space, facilitator):
    from .conftest import make_session

    return make_session(space, facilitator, status=LiveSession.Status.OPEN)


@pytest.fixture
def two_rooms(live_session, facilitator, people):
    """Ama alone in room 1, Ben and Cleo in room 2."""
    here(live_session, *people)
    round_, _ = breakouts.open_breakouts(
        actor=facilitator,
        session=live_session,
        rooms=[[people[0].pk], [people[1].pk, people[2].pk]],
        duration_minutes=10,
        client_msg_id="rooms",
    )
    return list(round_.rooms.order_by("number"))


async def test_a_message_to_a_room_they_are_not_in_is_refused(
    live_session, people, two_rooms, enter
):
    ama = await enter(people[0], live_session)
    try:
        await ama.recv_type("breakout.assigned")
        for room_id, code, detail in [
            (two_rooms[1].pk, "forbidden", "You are not in that breakout room."),
            (999_999, "invalid", "There is no such breakout room open in this session."),
            ("1", "invalid", "room_id must be the number of a breakout room."),
        ]:
            await ama.send(
                {"type": "breakout.send", "room_id": room_id, "body": "Hi", "client_msg_id": "m"}
            )
            error = await ama.recv_type("error")
            assert (error["code"], error["detail"]) == (code, detail)
        # Nor may a participant visit another room.
        await ama.send({"type": "breakout.visit", "room_id": two_rooms[1].pk})
        assert (await ama.recv_type("error"))["code"] == "forbidden"
        assert not await db(BreakoutMessage.objects.exists)()
    finally:
        await ama.close()


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        ("", "invalid", "Write a message before sending it."),
        ("   ", "invalid", "Write a message before sending it."),
        (42, "invalid", "Write a message before sending it."),
        ("x" * 2001, "too_long", "Messages can be at most 2,000 characters; this one has 2,001."),
    ],
)
async def test_bad_bodies_are_refused(live_session, people, two_rooms, enter, body, code, detail):
    ama = await enter(people[0], live_session)
    try:
        await ama.send({"type": "breakout.send", "body": body, "client_msg_id": "bad"})
        error = await ama.recv_type("error")
        assert (error["code"], error["detail"], error["client_msg_id"]) == (code, detail, "bad")
        assert not await db(BreakoutMessage.objects.exists)()
    finally:
        await ama.close()


async def test_someone_not_placed_has_no_room_to_write_to(
    live_session, other_member, two_rooms, enter
):
    late = await enter(other_member, live_session)
    try:
        await late.send({"type": "breakout.send", "body": "Hi", "client_msg_id": "l"})
        error = await late.recv_type("error")
        assert error["detail"] == "You are not in a breakout room."
        await late.send({"type": "breakout.hand.raise"})
        assert (await late.recv_type("error"))["detail"] == "You are not in a breakout room."
        assert not await db(BreakoutMessage.objects.exists)()
    finally:
        await late.close()


async def test_a_muted_member_is_refused_in_their_room(
    space, live_session, facilitator, moderator, people, two_rooms, enter
):
    ama = await enter(people[0], live_session)
    try:
        await ama.recv_type("breakout.assigned")
        await db(sanctions.mute_member)(
            actor=moderator,
            space=space,
            member=people[0],
            until=timezone.now() + timedelta(hours=1),
            reason="Cool off",
        )
        for frame in (
            {"type": "breakout.send", "body": "Hi", "client_msg_id": "mu"},
            {"type": "breakout.call"},
            {"type": "breakout.hand.raise"},
        ):
            await ama.send(frame)
            error = await ama.recv_type("error")
            assert error["code"] == "muted", error
        assert not await db(BreakoutMessage.objects.exists)()
    finally:
        await ama.close()


async def test_a_removed_member_is_refused_and_closed(
    live_session, facilitator, people, two_rooms, enter
):
    ama = await enter(people[0], live_session)
    try:
        await ama.recv_type("breakout.assigned")
        await db(services.remove_participant)(
            actor=facilitator, session=live_session, user_id=people[0].pk, reason="Abuse"
        )
        await ama.send({"type": "breakout.send", "body": "Hi", "client_msg_id": "rm"})
        error = await ama.recv_type("error")
        assert error["code"] == "forbidden"
        assert await ama.comm.receive_output(2) == {"type": "websocket.close", "code": 4403}
        assert not await db(BreakoutMessage.objects.exists)()
    finally:
        await ama.close()


async def test_lock_slow_mode_and_rate_limit_apply_in_rooms(
    settings, live_session, facilitator, people, two_rooms, enter
):
    settings.LIVE_RATE_LIMIT = (2, 10)
    ben = await enter(people[1], live_session)
    try:
        for n in (1, 2):
            await ben.send({"type": "breakout.send", "body": f"B{n}", "client_msg_id": f"b{n}"})
            await ben.recv_type("ack")
        await ben.send({"type": "breakout.send", "body": "B3", "client_msg_id": "b3"})
        assert (await ben.recv_type("error"))["code"] == "rate_limited"
        await db(services.set_slow_mode)(actor=facilitator, session=live_session, seconds=600)
        settings.LIVE_RATE_LIMIT = (50, 10)
        await ben.send({"type": "breakout.send", "body": "B4", "client_msg_id": "b4"})
        assert (await ben.recv_type("error"))["code"] == "slow_mode"
        await db(services.lock_chat)(actor=facilitator, session=live_session)
        await ben.send({"type": "breakout.send", "body": "B5", "client_msg_id": "b5"})
        error = await ben.recv_type("error")
        assert (error["code"], error["detail"]) == (
            "locked",
            "The facilitator has locked the chat for now.",
        )
        assert await db(BreakoutMessage.objects.count)() == 2
    finally:
        await ben.close()


async def test_bad_breakout_after_is_refused(live_session, member, enter):
    room = await enter(member, live_session)
    try:
        for after in ("3", [1], {"x": 1}, {"1": -1}, {"1": True}):
            await room.send({"type": "hello", "after_seq": 0, "breakout_after": after})
            error = await room.recv_type("error")
            assert error["code"] == "invalid"
            assert error["detail"] == "breakout_after must map room ids to seq numbers."
    finally:
        await room.close()


async def test_bad_visits_are_refused(live_session, facilitator, two_rooms, enter):
    host = await enter(facilitator, live_session)
    try:
        for frame, detail in [
            ({"type": "breakout.visit"}, "Missing field room_id."),
            ({"type": "breakout.visit", "room_id": "a"}, "room_id must be the number"),
            ({"type": "breakout.visit", "room_id": 1, "after_seq": -1}, "after_seq must be"),
        ]:
            await host.send(frame)
            error = await host.recv_type("error")
            assert error["code"] == "invalid" and error["detail"].startswith(detail)
    finally:
        await host.close()
