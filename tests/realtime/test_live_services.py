"""Several daphne processes on PostgreSQL and Redis (``make test-services``).

Skipped with a reason on the embedded defaults (see conftest.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from .live_stack import daphne
from .wsclient import LiveClient, ws_connect

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def two_daphnes(stack):
    with daphne(stack.env) as first, daphne(stack.env) as second:
        yield first, second


async def _connect(port: int, path: str, cookie: str):
    manager = ws_connect(port, path, cookie)
    return manager, await manager.__aenter__()


async def test_every_client_on_two_processes_receives_every_message_in_order(stack, two_daphnes):
    path = f"/ws/live/{stack.session}/"
    opened = []
    try:
        clients: list[LiveClient] = []
        for i in range(8):
            manager, ws = await _connect(two_daphnes[i % 2], path, stack.cookies[f"member{i + 1}"])
            opened.append(manager)
            clients.append(LiveClient(ws))
        start = max([(await c.hello())["last_seq"] for c in clients])
        for client in clients:
            if start:
                await client.read_until_seq(start)

        # A client on the second process drops halfway and resumes on the first.
        dropper_manager, dropper_ws = await _connect(two_daphnes[1], path, stack.cookies["member8"])
        dropper = LiveClient(dropper_ws)
        await dropper.hello(start)

        total = 60

        async def send(client: LiveClient, tag: str) -> None:
            for n in range(total // 2):
                await client.send_message(f"{tag} {n}", f"{tag}-{uuid.uuid4()}")
                await asyncio.sleep(0.01)

        sending = asyncio.gather(send(clients[0], "a"), send(clients[1], "b"))
        await dropper.read_until_seq(start + 10)
        held = dropper.seqs[-1]
        await dropper_manager.__aexit__(None, None, None)
        await sending

        manager, ws = await _connect(two_daphnes[0], path, stack.cookies["member8"])
        opened.append(manager)
        resumed = LiveClient(ws)
        await resumed.hello(held)
        await resumed.read_until_seq(start + total)
        assert dropper.seqs + resumed.seqs == list(range(start + 1, start + total + 1))

        for client in clients:
            await client.read_until_seq(start + total)
            assert [s for s in client.seqs if s > start] == list(
                range(start + 1, start + total + 1)
            )
            bodies = [f["body_html"] for f in client.stream if f["seq"] > start]
            assert len(set(bodies)) == total
    finally:
        for manager in opened:
            await manager.__aexit__(None, None, None)


async def test_idle_consumer_on_redis_stays_connected_past_ten_seconds(stack, two_daphnes):
    async with ws_connect(
        two_daphnes[0], f"/ws/live/{stack.session}/", stack.cookies["member3"]
    ) as ws:
        client = LiveClient(ws)
        await client.hello(10**6)
        await asyncio.sleep(12)
        await ws.send('{"type": "ping"}')
        while (await client._read(5))["type"] != "pong":
            pass
        assert ws.close_code is None


async def test_150_simultaneous_connects_to_one_process_succeed(stack, two_daphnes):
    port = two_daphnes[1]
    path = f"/ws/live/{stack.second_session}/"
    managers = [ws_connect(port, path, stack.cookies[f"member{n % 8 + 1}"]) for n in range(150)]
    started = time.monotonic()
    results = await asyncio.gather(*(m.__aenter__() for m in managers), return_exceptions=True)
    try:
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, [(f, f.__cause__, time.monotonic() - started) for f in failures[:3]]
        welcomes = await asyncio.gather(*(LiveClient(ws).hello(10**6) for ws in results))
        assert len(welcomes) == 150
        print(f"150 connects + hello in {time.monotonic() - started:.2f}s")
    finally:
        await asyncio.gather(
            *(
                m.__aexit__(None, None, None)
                for m, r in zip(managers, results, strict=True)
                if not isinstance(r, BaseException)
            ),
            return_exceptions=True,
        )
