"""Handshake flood and slow-loris against a real daphne process (loopback only, bounded loops).

While 200 WebSocket handshakes arrive at once and 100 sockets dribble half a request, another
member still connects, gets a welcome and a pong. The figures are printed (``pytest -s``) and
recorded in docs/security.md.
"""

from __future__ import annotations

import asyncio
import json
import time

from tests.realtime.conftest import daphne_port, stack  # noqa: F401
from tests.realtime.wsclient import ws_connect

HANDSHAKES = 200
SLOW_LORIS = 100


async def _round_trip(port: int, path: str, cookie: str) -> float:
    start = time.monotonic()
    async with ws_connect(port, path, cookie) as ws:
        await ws.send(json.dumps({"type": "hello", "after_seq": 0}))
        while json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] != "welcome":
            pass
        await ws.send(json.dumps({"type": "ping"}))
        while json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] != "pong":
            pass
    return time.monotonic() - start


async def _handshake(port: int, path: str) -> None:
    try:
        async with ws_connect(port, path):  # anonymous: accepted, then closed 4401
            await asyncio.sleep(0)
    except Exception:
        pass


async def _slow_loris(port: int, hold: asyncio.Event) -> None:
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        writer.write(b"GET /ws/live/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        await hold.wait()
    finally:
        writer.close()


async def test_daphne_stays_responsive_under_handshake_flood_and_slow_loris(stack, daphne_port):  # noqa: F811
    path = f"/ws/live/{stack.session}/"
    cookie = stack.cookies["member1"]
    baseline = await _round_trip(daphne_port, path, cookie)
    hold = asyncio.Event()
    loris = [asyncio.create_task(_slow_loris(daphne_port, hold)) for _ in range(SLOW_LORIS)]
    flood_start = time.monotonic()
    flood = [asyncio.create_task(_handshake(daphne_port, path)) for _ in range(HANDSHAKES)]
    await asyncio.sleep(0.2)
    under_load = await _round_trip(daphne_port, path, cookie)
    await asyncio.wait_for(asyncio.gather(*flood), 120)
    flood_seconds = time.monotonic() - flood_start
    after = await _round_trip(daphne_port, path, cookie)
    hold.set()
    await asyncio.gather(*loris)
    print(
        f"\nround trip: baseline {baseline * 1000:.0f} ms, under {HANDSHAKES} handshakes + "
        f"{SLOW_LORIS} slow-loris sockets {under_load * 1000:.0f} ms, after {after * 1000:.0f} ms; "
        f"flood drained in {flood_seconds:.1f} s"
    )
    assert under_load < 10
    assert after < 5
