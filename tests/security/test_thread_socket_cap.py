"""At most THREAD_MAX_SOCKETS_PER_MEMBER open thread-page sockets per member; beyond it the
newest wins and the oldest is told why, then closed with 4403 (the page stops reconnecting)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.realtime.conftest import in_memory_channel_layer, open_room  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_sockets_counted():
    cache.clear()
    yield
    cache.clear()


async def listen(user, thread):
    room, connected, code = await open_room(user, 0, path=f"/ws/threads/{thread.pk}/")
    assert connected and code is None
    return room


def test_the_default_cap_is_20(settings):
    assert settings.THREAD_MAX_SOCKETS_PER_MEMBER == 20


async def test_over_the_cap_the_oldest_socket_is_told_and_closed(settings, member, thread):
    settings.THREAD_MAX_SOCKETS_PER_MEMBER = 3
    rooms = [await listen(member, thread) for _ in range(3)]
    try:
        for room in rooms:
            assert await room.silent()
        rooms.append(await listen(member, thread))
        oldest = rooms.pop(0)
        notice = await oldest.recv()
        assert notice["type"] == "notice" and "more than 3" in notice["detail"]
        assert await oldest.comm.receive_output(2) == {"type": "websocket.close", "code": 4403}
        for room in rooms:
            assert await room.silent()
    finally:
        for room in rooms:
            await room.close()


async def test_forty_sockets_leave_only_the_cap_open(settings, member, thread, anonymous_thread):
    settings.THREAD_MAX_SOCKETS_PER_MEMBER = 5
    rooms = []
    for number in range(40):
        rooms.append(await listen(member, thread if number % 2 else anonymous_thread))
    try:
        closed = 0
        for room in rooms[:-5]:
            assert (await room.recv())["type"] == "notice"
            assert (await room.comm.receive_output(2))["code"] == 4403
            closed += 1
        assert closed == 35
        for room in rooms[-5:]:
            assert await room.silent(0.1)
    finally:
        for room in rooms:
            await room.close()


async def test_a_closed_socket_frees_its_place(settings, member, thread):
    settings.THREAD_MAX_SOCKETS_PER_MEMBER = 2
    first, second = await listen(member, thread), await listen(member, thread)
    await first.close()
    third = await listen(member, thread)
    try:
        assert await second.silent()
        assert await third.silent()
    finally:
        await second.close()
        await third.close()


async def test_the_cap_is_per_member(settings, member, other_member, thread):
    settings.THREAD_MAX_SOCKETS_PER_MEMBER = 1
    mine = await listen(member, thread)
    theirs = await listen(other_member, thread)
    try:
        assert await mine.silent()
        assert await theirs.silent()
    finally:
        await mine.close()
        await theirs.close()
