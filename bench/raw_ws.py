"""Bench only: a raw ``websockets`` broadcast server, the physical floor for Python.

One process, no channels, no Redis: every ``message.send`` is encoded once and written to every
open connection with ``websockets.broadcast``. It speaks the same frames as the forum and the
channels floor (``hello`` → ``welcome``, ``message.send`` → ``ack`` and a ``message``).
Run: ``python -m bench.raw_ws <port>``.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()


async def handler(ws) -> None:
    CLIENTS.add(ws)
    seq = 0
    try:
        async for raw in ws:
            content = json.loads(raw)
            if content.get("type") == "hello":
                await ws.send('{"type":"welcome","last_seq":0}')
            elif content.get("type") == "message.send":
                seq += 1
                frame = {
                    "type": "message",
                    "seq": seq,
                    "client_msg_id": content["client_msg_id"],
                    "body_html": content["body"],
                }
                broadcast(CLIENTS, json.dumps(frame, separators=(",", ":")))
                ack = {"type": "ack", "client_msg_id": content["client_msg_id"], "seq": seq}
                await ws.send(json.dumps(ack))
    finally:
        CLIENTS.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None, ping_interval=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
