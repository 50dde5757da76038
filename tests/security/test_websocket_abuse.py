"""WebSocket abuse in-process: too many sockets per member, oversized frames, message floods."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from realtime.models import LiveEvent, Presence
from tests.realtime.conftest import in_memory_channel_layer, make_session, open_room  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_session(space, facilitator):
    return make_session(space, facilitator)


async def _presences(user, session) -> int:
    return await database_sync_to_async(Presence.objects.filter(user=user, session=session).count)()


async def test_member_over_the_socket_cap_keeps_the_newest_and_the_oldest_is_closed(
    settings, member, live_session
):
    settings.LIVE_MAX_SOCKETS_PER_MEMBER = 3
    rooms = []
    try:
        for _ in range(3):
            room, connected, _ = await open_room(member, live_session.pk)
            assert connected
            rooms.append(room)
            await room.hello()
        assert await _presences(member, live_session) == 3
        newest, connected, _ = await open_room(member, live_session.pk)
        assert connected
        await newest.hello()
        assert newest.welcome["you"]["id"] == member.pk
        # The oldest socket is told why, then closed with a code the client stops on.
        oldest = rooms.pop(0)
        notice = await oldest.recv_type("notice")
        assert "more than 3 places" in notice["detail"]
        assert (await oldest.comm.receive_output(2))["code"] == 4403
        rooms.append(newest)
        assert await _presences(member, live_session) == 3
    finally:
        for room in rooms:
            await room.close()


async def test_rows_left_by_a_dead_process_do_not_lock_a_member_out(settings, member, live_session):
    settings.LIVE_MAX_SOCKETS_PER_MEMBER = 2
    for number in range(2):  # sockets of a daphne that was killed: rows, no consumers
        await database_sync_to_async(Presence.objects.create)(
            session=live_session, user=member, channel_name=f"specific.dead!{number}"
        )
    room, connected, _ = await open_room(member, live_session.pk)
    try:
        assert connected
        await room.hello()
        assert room.welcome["you"]["id"] == member.pk
        assert await _presences(member, live_session) == 2
        assert not await database_sync_to_async(
            Presence.objects.filter(channel_name="specific.dead!0").exists
        )()
    finally:
        await room.close()


async def test_the_cap_is_per_member(settings, member, other_member, live_session):
    settings.LIVE_MAX_SOCKETS_PER_MEMBER = 1
    first, _, _ = await open_room(member, live_session.pk)
    second, _, _ = await open_room(other_member, live_session.pk)
    try:
        await first.hello()
        await second.hello()
        assert second.welcome["you"]["id"] == other_member.pk
    finally:
        await first.close()
        await second.close()


async def test_oversized_frame_is_refused_and_the_connection_stays_open(member, live_session):
    room, _, _ = await open_room(member, live_session.pk)
    try:
        await room.hello()
        body = "x" * (16 * 1024 + 1)
        await room.send_text(
            f'{{"type": "message.send", "client_msg_id": "{uuid.uuid4()}", "body": "{body}"}}'
        )
        frame = await room.recv()
        assert frame["type"] == "error" and frame["code"] == "too_long"
        await room.send({"type": "ping"})
        assert (await room.recv())["type"] == "pong"
        count = await database_sync_to_async(LiveEvent.objects.filter(session=live_session).count)()
        assert count == 0
    finally:
        await room.close()


async def test_message_flood_is_rate_limited(settings, member, live_session):
    settings.LIVE_RATE_LIMIT = (5, 10)
    room, _, _ = await open_room(member, live_session.pk)
    try:
        await room.hello()
        codes = []
        for n in range(12):
            await room.send(
                {"type": "message.send", "body": f"flood {n}", "client_msg_id": str(uuid.uuid4())}
            )
        while len(codes) < 12:
            frame = await room.recv()
            if frame["type"] in {"ack", "error"}:
                codes.append(frame.get("code", "ack"))
        assert codes.count("ack") == 5
        assert codes.count("rate_limited") == 7
        stored = await database_sync_to_async(
            LiveEvent.objects.filter(session=live_session, author=member).count
        )()
        assert stored == 5
    finally:
        await room.close()
