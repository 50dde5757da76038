"""Breakout rooms across two daphne processes on PostgreSQL and Redis (``make test-services``):
a room's messages reach its members on the other process, in its own seq order, never the other
room; a member who drops and comes back on the other process misses nothing.

Skipped with a reason on the embedded defaults (see conftest.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from .live_stack import daphne
from .wsclient import ws_connect

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def two_daphnes(stack):
    with daphne(stack.env) as first, daphne(stack.env) as second:
        yield first, second


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def next(self, *types: str, timeout: float = 15) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), deadline - loop.time()))
            self.frames.append(frame)
            assert frame["type"] != "error", frame
            if frame["type"] in types:
                return frame

    async def quiet(self, types: set[str], seconds: float = 1.5) -> None:
        try:
            while True:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
                assert frame["type"] not in types, frame
        except TimeoutError:
            return


async def test_rooms_work_across_two_processes_and_resume_on_the_other(stack, two_daphnes):
    path = f"/ws/live/{stack.second_session}/"
    a, b = two_daphnes
    managers = []

    async def join(port: int, who: str, **hello) -> Client:
        manager = ws_connect(port, path, stack.cookies[who])
        managers.append(manager)
        client = Client(await manager.__aenter__())
        await client.send({"type": "hello", "after_seq": 10**6, **hello})
        await client.next("welcome")
        return client

    host = await join(a, "facilitator")
    try:
        one, two, three = (
            await join(a, "member5"),
            await join(b, "member6"),
            await join(b, "member7"),
        )
        rooms = [[stack.users["member5"], stack.users["member6"]], [stack.users["member7"]]]
        await host.send(
            {"type": "breakout.open", "rooms": rooms, "duration_minutes": 5, "client_msg_id": "x2"}
        )
        await host.next("ack")
        room_id = (await one.next("breakout.assigned"))["room_id"]
        assert (await two.next("breakout.assigned"))["room_id"] == room_id
        await three.next("breakout.assigned")

        await one.send({"type": "breakout.send", "body": "M1", "client_msg_id": "s1"})
        got = await two.next("breakout.message")
        assert (got["room_id"], got["seq"], got["body_html"]) == (room_id, 1, "<p>M1</p>")

        # Two drops (process b) and comes back on process a, holding seq 1.
        managers.remove(two_manager := managers[2])
        await two_manager.__aexit__(None, None, None)
        for n in (2, 3):
            await one.send({"type": "breakout.send", "body": f"M{n}", "client_msg_id": f"s{n}"})
            await one.next("ack")
        back = await join(a, "member6", breakout_after={str(room_id): 1})
        assert [(await back.next("breakout.message"))["seq"] for _ in range(2)] == [2, 3]
        await one.send({"type": "breakout.send", "body": "M4", "client_msg_id": "s4"})
        assert (await back.next("breakout.message"))["seq"] == 4
        await three.quiet({"breakout.message"})
    finally:
        await host.send({"type": "breakout.close"})
        for manager in managers:
            await manager.__aexit__(None, None, None)
