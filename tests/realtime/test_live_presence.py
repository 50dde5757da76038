"""Presence at webinar scale: coalesced into at most one frame a second per room, no frame per
join to the whole room; in rooms over the limit participants see the count and the
facilitators, facilitators the full list."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from realtime import selectors

from ..conftest import make_member

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def presence_frames(room, seconds: float) -> list[dict]:
    """Every presence frame ``room`` gets within ``seconds``."""
    frames = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        # receive_nothing, not a timed-out receive: that would cancel the consumer.
        if await room.comm.receive_nothing(min(0.1, left)):
            continue
        frame = await room.recv()
        if frame["type"] == "presence":
            frames.append(frame)
    return frames


async def test_a_burst_of_joins_is_one_frame_with_everyone(live_session, facilitator, space, enter):
    host = await enter(facilitator, live_session)
    people = [await db(make_member)(space, f"Joiner {n}") for n in range(4)]
    rooms = [await enter(person, live_session) for person in people]
    try:
        frames = await presence_frames(host, 2.5)
        # The window opened by the host's own join may close before the last joiner: at most
        # one frame per second, and the last one lists everyone.
        assert 1 <= len(frames) <= 3
        assert frames[-1]["count"] == 5
        assert {p["id"] for p in frames[-1]["present"]} == {facilitator.pk, *(p.pk for p in people)}
        assert all("seq" not in frame for frame in frames)
    finally:
        for room in rooms:
            await room.close()
        await host.close()


async def test_large_room_participants_see_count_and_facilitators_only(
    live_session, facilitator, member, other_member, space, enter, monkeypatch
):
    monkeypatch.setattr(selectors, "PRESENCE_FULL_LIST_MAX", 2)
    host = await enter(facilitator, live_session)
    guest = await enter(member, live_session)
    peer = await enter(other_member, live_session)
    try:
        assert peer.welcome["summary"] is True and peer.welcome["count"] == 3
        assert [p["id"] for p in peer.welcome["present"]] == [facilitator.pk]
        assert host.welcome["summary"] is False
        guest_frames = await presence_frames(guest, 2.5)
        host_frames = await presence_frames(host, 0.1)
        assert guest_frames and all(f["summary"] for f in guest_frames)
        assert guest_frames[-1]["count"] == 3
        assert [p["id"] for p in guest_frames[-1]["present"]] == [facilitator.pk]
        assert "user" not in guest_frames[-1]  # no name per join in a large room
        assert host_frames and len(host_frames[-1]["present"]) == 3
    finally:
        for room in (host, guest, peer):
            await room.close()


def test_large_room_page_shows_participants_the_count(
    login, live_session, facilitator, member, monkeypatch
):
    from realtime.models import Presence

    monkeypatch.setattr(selectors, "PRESENCE_FULL_LIST_MAX", 2)
    others = [make_member(live_session.space, f"Here {n}") for n in range(3)]
    for n, person in enumerate([facilitator, *others]):
        Presence.objects.create(session=live_session, user=person, channel_name=f"c.{n}")
    html = login(member).get(reverse("live_room", args=[live_session.pk])).content.decode()
    assert 'id="live-present-count">4<' in html
    assert "Here 1" not in html and facilitator.display_name in html
    html = login(facilitator).get(reverse("live_room", args=[live_session.pk])).content.decode()
    assert "Here 1" in html


def test_presence_for_takes_constant_queries(
    live_session, facilitator, space, monkeypatch, django_assert_max_num_queries
):
    from realtime.models import Presence

    monkeypatch.setattr(selectors, "PRESENCE_FULL_LIST_MAX", 2)
    for n in range(8):
        Presence.objects.create(
            session=live_session, user=make_member(space, f"P {n}"), channel_name=f"p.{n}"
        )
    with django_assert_max_num_queries(3):
        view = selectors.presence_for(live_session.pk, facilitating=False)
    assert view["count"] == 8 and view["summary"] is True
