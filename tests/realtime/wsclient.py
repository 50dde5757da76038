"""A small real WebSocket client (the ``websockets`` package) speaking the live protocol."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

STREAM = {"message", "question", "message.removed", "state"}


def ws_connect(port: int, path: str, cookie: str | None = None, *, origin: str | None = None):
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=origin or f"http://127.0.0.1:{port}",
        additional_headers=headers,
        open_timeout=20,
        close_timeout=2,
    )


async def close_code(port: int, path: str, cookie: str | None = None) -> int:
    """Connect and return the close code the server ends with (after accepting, and after the
    error frame that says why, when there is one)."""
    async with ws_connect(port, path, cookie) as ws:
        try:
            for _ in range(2):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert frame["type"] == "error", frame
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else -1
    return -1


class LiveClient:
    """Collects the stream frames one connection receives, in arrival order."""

    def __init__(self, ws):
        self.ws = ws
        self.stream: list[dict] = []
        self.acks: list[dict] = []
        self.welcome: dict | None = None

    async def hello(self, after_seq: int = 0) -> dict:
        await self.ws.send(json.dumps({"type": "hello", "after_seq": after_seq}))
        while self.welcome is None:
            await self._read(10)
        return self.welcome

    async def _read(self, timeout: float) -> dict:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        if frame["type"] == "welcome":
            self.welcome = frame
        elif frame["type"] in STREAM:
            self.stream.append(frame)
        elif frame["type"] == "ack":
            self.acks.append(frame)
        elif frame["type"] == "error":
            raise AssertionError(f"unexpected error frame {frame}")
        return frame

    async def read_until_seq(self, seq: int, timeout: float = 30) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.stream or self.stream[-1]["seq"] < seq:
            await self._read(max(0.1, deadline - loop.time()))

    async def send_message(self, body: str, client_msg_id: str) -> None:
        await self.ws.send(
            json.dumps({"type": "message.send", "body": body, "client_msg_id": client_msg_id})
        )

    @property
    def seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.stream]
