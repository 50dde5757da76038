"""Breakout rooms (issue #16; docs/architecture.md "Breakout rooms"): the facilitator splits the
participants present into rooms for a set time; each room has its own stream (stored before
broadcast, its own ``seq``, resume per room, idempotent sends), its own hands and a call for the
facilitator; its frames reach only its members and visiting facilitators; when time is up or on
``breakout.close`` everyone is back in the main room with a stored notice."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from realtime import breakouts
from realtime.models import BreakoutMember, BreakoutMessage, BreakoutRound, LiveEvent

from ..conftest import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def cid() -> str:
    return str(uuid.uuid4())


async def drain_presence(*rooms) -> None:
    """Wait until every room is quiet (presence frames come at most once a second)."""
    for room in rooms:
        while not await room.silent(1.2):
            frame = await room.recv()
            assert frame["type"] != "error", frame


async def never_gets(room, *types: str) -> None:
    while not await room.silent(0.5):
        frame = await room.recv()
        assert frame["type"] not in types, frame


@pytest.fixture
def people(space):
    return [make_member(space, name) for name in ("Ama", "Ben", "Cleo", "Dev")]


async def open_by_choice(host, groups, minutes=5):
    msg_id = cid()
    await host.send(
        {
            "type": "breakout.open",
            "rooms": [[u.pk for u in group] for group in groups],
            "duration_minutes": minutes,
            "client_msg_id": msg_id,
        }
    )
    ack = await host.recv_type("ack")
    assert ack["client_msg_id"] == msg_id
    return ack


async def test_by_choice_each_room_its_own_stream_never_reaching_the_other_room(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    rooms = [await enter(user, live_session) for user in people]
    try:
        await drain_presence(host, *rooms)
        ack = await open_by_choice(host, [people[:2], people[2:]])
        opened = await host.recv_type("breakout.open")
        assert opened["seq"] == ack["seq"] == 1 and len(opened["rooms"]) == 2
        assert "members" not in opened  # who is where is not in the main stream
        assigned = []
        for room in rooms:
            assert (await room.recv_type("breakout.open"))["seq"] == 1
            assigned.append(await room.recv_type("breakout.assigned"))
        first, second = assigned[0]["room_id"], assigned[2]["room_id"]
        assert first != second and assigned[1]["room_id"] == first
        assert {m["id"] for m in assigned[0]["members"]} == {people[0].pk, people[1].pk}
        rooms_frame = await host.recv_type("breakout.rooms")
        assert [r["id"] for r in rooms_frame["rooms"]] == [first, second]

        await rooms[0].send(
            {"type": "breakout.send", "body": "Just us *here*", "client_msg_id": "a1"}
        )
        ack = await rooms[0].recv_type("ack")
        assert ack == {"type": "ack", "client_msg_id": "a1", "seq": 1, "room_id": first}
        for room in rooms[:2]:
            frame = await room.recv_type("breakout.message")
            assert frame["room_id"] == first and frame["seq"] == 1
            assert frame["body_html"] == "<p>Just us <em>here</em></p>"
            assert frame["author"]["id"] == people[0].pk
        # The other room has its own seq, starting at 1 too.
        await rooms[2].send({"type": "breakout.send", "body": "Room two", "client_msg_id": "c1"})
        assert (await rooms[2].recv_type("ack"))["seq"] == 1
        for room in rooms[2:]:
            frame = await room.recv_type("breakout.message")
            assert frame["room_id"] == second and frame["body_html"] == "<p>Room two</p>"
        # Not a frame of either room crosses over, nor reaches the facilitator until they visit.
        await never_gets(rooms[0], "breakout.message")
        await never_gets(rooms[2], "breakout.message")
        await never_gets(host, "breakout.message")
        # Nothing of the rooms in the main stream.
        kinds = await db(lambda: list(LiveEvent.objects.values_list("kind", flat=True)))()
        assert kinds == ["breakout.open"]
    finally:
        for room in (host, *rooms):
            await room.close()


async def test_random_split_is_even_and_leaves_facilitators_out(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    rooms = [await enter(user, live_session) for user in people[:3]]
    try:
        await drain_presence(host, *rooms)
        await host.send(
            {"type": "breakout.open", "rooms": 2, "duration_minutes": 10, "client_msg_id": "r"}
        )
        await host.recv_type("ack")
        sizes = await db(
            lambda: sorted(
                BreakoutMember.objects.filter(room__pk__isnull=False)
                .values_list("room_id", flat=True)
                .order_by()
            )
        )()
        assert len(sizes) == 3 and sorted([sizes.count(r) for r in set(sizes)]) == [1, 2]
        assert not await db(BreakoutMember.objects.filter(user=facilitator).exists)()
        for room in rooms:
            await room.recv_type("breakout.assigned")
    finally:
        for room in (host, *rooms):
            await room.close()


async def test_facilitator_visits_a_room_reads_it_and_posts_and_a_resend_is_stored_once(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    rooms = [await enter(user, live_session) for user in people]
    try:
        await drain_presence(host, *rooms)
        await open_by_choice(host, [people[:2], people[2:]])
        first = (await rooms[0].recv_type("breakout.assigned"))["room_id"]
        await rooms[0].send({"type": "breakout.send", "body": "Before", "client_msg_id": "b1"})
        await rooms[0].recv_type("ack")
        await host.send({"type": "breakout.visit", "room_id": first})
        visiting = await host.recv_type("breakout.visiting")
        assert visiting["room_id"] == first and visiting["last_seq"] == 1
        replay = await host.recv_type("breakout.message")
        assert replay["seq"] == 1 and replay["body_html"] == "<p>Before</p>"
        await host.send(
            {"type": "breakout.send", "room_id": first, "body": "Hello room", "client_msg_id": "h1"}
        )
        assert (await host.recv_type("ack"))["seq"] == 2
        await host.send(
            {"type": "breakout.send", "room_id": first, "body": "Hello room", "client_msg_id": "h1"}
        )
        assert (await host.recv_type("ack"))["seq"] == 2
        assert await db(BreakoutMessage.objects.filter(client_msg_id="h1").count)() == 1
        got = await rooms[1].recv_type("breakout.message")
        while got["seq"] < 2:
            got = await rooms[1].recv_type("breakout.message")
        assert got["author"]["id"] == facilitator.pk
        await never_gets(rooms[2], "breakout.message")
    finally:
        for room in (host, *rooms):
            await room.close()


async def test_reconnect_replays_the_room_after_its_cursor_in_order(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    cleo = await enter(people[2], live_session)
    try:
        await drain_presence(host, ama, ben, cleo)
        await open_by_choice(host, [people[:2], people[2:3]])
        room_id = (await ama.recv_type("breakout.assigned"))["room_id"]
        await ben.recv_type("breakout.assigned")
        await ama.send({"type": "breakout.send", "body": "One", "client_msg_id": "o1"})
        await ama.recv_type("ack")
        assert (await ben.recv_type("breakout.message"))["seq"] == 1
        await ben.close()
        for n in (2, 3):
            await ama.send({"type": "breakout.send", "body": f"M{n}", "client_msg_id": f"o{n}"})
            await ama.recv_type("ack")
        ben = await enter(people[1], live_session, after_seq=1)
        # The plain hello (no breakout_after) replays the whole room.
        assigned = await ben.recv_type("breakout.assigned")
        assert assigned["room_id"] == room_id and assigned["last_seq"] == 3
        assert [(await ben.recv_type("breakout.message"))["seq"] for _ in range(3)] == [1, 2, 3]
        # With its room cursor: only what came after it, in order.
        await ben.send({"type": "hello", "after_seq": 1, "breakout_after": {str(room_id): 1}})
        await ben.recv_type("welcome")
        await ben.recv_type("breakout.assigned")
        assert [(await ben.recv_type("breakout.message"))["body_html"] for _ in range(2)] == [
            "<p>M2</p>",
            "<p>M3</p>",
        ]
        hands = await ben.recv_type("breakout.hands")
        assert hands == {"type": "breakout.hands", "room_id": room_id, "hands": []}
        # Live again after the replay, and Cleo's room never heard any of it.
        await ama.send({"type": "breakout.send", "body": "M4", "client_msg_id": "o4"})
        assert (await ben.recv_type("breakout.message"))["seq"] == 4
        await never_gets(cleo, "breakout.message")
    finally:
        for room in (host, ama, ben, cleo):
            await room.close()


async def test_time_up_brings_everyone_back_with_a_stored_notice(
    settings, live_session, facilitator, people, enter
):
    settings.LIVE_BREAKOUT_MINUTE_SECONDS = 1
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    try:
        await drain_presence(host, ama, ben)
        await open_by_choice(host, [people[:1], people[1:2]], minutes=1)
        await ama.recv_type("breakout.assigned")
        for room in (host, ama, ben):
            back = await room.recv_type("breakout.close", timeout=6)
            assert back["seq"] == 2 and back["reason"] == "time"
            assert back["detail"] == breakouts.RETURN_NOTICE
        assert await db(BreakoutRound.objects.filter(closed_at__isnull=False).count)() == 1
        await ama.send({"type": "breakout.send", "body": "Late", "client_msg_id": "late"})
        error = await ama.recv_type("error")
        assert error["code"] == "not_live" and "main room" in error["detail"]
        assert not await db(BreakoutMessage.objects.exists)()
        # A new hello replays the notice in the main stream, and no room.
        await ama.send({"type": "hello", "after_seq": 1})
        await ama.recv_type("welcome")
        assert (await ama.recv_type("breakout.close"))["seq"] == 2
        await never_gets(ama, "breakout.assigned", "breakout.message")
    finally:
        for room in (host, ama, ben):
            await room.close()


async def test_facilitator_closes_the_rooms_and_the_rooms_go_quiet(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    try:
        await drain_presence(host, ama, ben)
        await open_by_choice(host, [people[:1], people[1:2]])
        await host.send({"type": "breakout.close"})
        for room in (host, ama, ben):
            back = await room.recv_type("breakout.close")
            assert back["reason"] == "facilitator"
        rooms = await host.recv_type("breakout.rooms")
        while rooms["rooms"]:
            rooms = await host.recv_type("breakout.rooms")
        await host.send({"type": "breakout.close"})
        assert (await host.recv_type("error"))["detail"] == "No breakout rooms are open."
    finally:
        for room in (host, ama, ben):
            await room.close()


async def test_call_the_facilitator_tells_the_console_which_room(
    live_session, facilitator, people, enter
):
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    dev = await enter(people[3], live_session)
    try:
        await drain_presence(host, ama, ben, dev)
        await open_by_choice(host, [people[:1], people[1:2]])
        room_id = (await ama.recv_type("breakout.assigned"))["room_id"]
        await ama.send({"type": "breakout.call"})
        called = await host.recv_type("breakout.called")
        assert called["room_id"] == room_id and called["name"] == "Room 1"
        assert (await ama.recv_type("breakout.call.sent"))["room_id"] == room_id
        await never_gets(ben, "breakout.called", "breakout.call.sent")
        # Dev came late: in the main room, with no one to call.
        await dev.send({"type": "breakout.call"})
        error = await dev.recv_type("error")
        assert error["code"] == "invalid" and "main room" in error["detail"]
        # A visit answers the call.
        await host.send({"type": "breakout.visit", "room_id": room_id})
        await host.recv_type("breakout.visiting")
        rooms = await host.recv_type("breakout.rooms")
        while rooms["rooms"][0]["called_at"] is not None:
            rooms = await host.recv_type("breakout.rooms")
    finally:
        for room in (host, ama, ben, dev):
            await room.close()


async def test_hands_in_a_room_reach_only_that_room(live_session, facilitator, people, enter):
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    try:
        await drain_presence(host, ama, ben)
        await open_by_choice(host, [people[:1], people[1:2]])
        room_id = (await ama.recv_type("breakout.assigned"))["room_id"]
        await ama.send({"type": "breakout.hand.raise"})
        hands = await ama.recv_type("breakout.hands")
        assert hands["room_id"] == room_id and [h["id"] for h in hands["hands"]] == [people[0].pk]
        await never_gets(ben, "breakout.hands")
        await ama.send({"type": "breakout.hand.lower"})
        assert (await ama.recv_type("breakout.hands"))["hands"] == []
    finally:
        for room in (host, ama, ben):
            await room.close()


async def test_end_of_the_session_closes_the_rooms(live_session, facilitator, people, enter):
    host = await enter(facilitator, live_session)
    ama = await enter(people[0], live_session)
    ben = await enter(people[1], live_session)
    try:
        await drain_presence(host, ama, ben)
        await open_by_choice(host, [people[:1], people[1:2]])
        await host.send({"type": "session.end"})
        back = await ama.recv_type("breakout.close")
        assert back["reason"] == "end"
        assert (await ama.recv_type("state"))["change"] == "end"
    finally:
        for room in (host, ama, ben):
            await room.close()
