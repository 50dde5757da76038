"""Live-session clients for the deployment tests: real WebSockets through nginx, one client on
each daphne process, reconnecting the way the page does (``hello`` with the last seq seen, then
every unacknowledged message again with its ``client_msg_id``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from . import stack as deploy

# Frames that carry a seq but are not stored events of the stream.
NOT_STREAM = {"ack", "flag.received", "resync", "welcome"}
WSCONNECT = re.compile(r'"WSCONNECT /ws/live/')


class Hub:
    """Wakes whoever waits for a condition on the clients, on every frame and every connect."""

    def __init__(self):
        self.condition = asyncio.Condition()

    async def notify(self) -> None:
        async with self.condition:
            self.condition.notify_all()

    async def until(self, predicate, timeout: float, what: str) -> None:
        async with self.condition:
            try:
                await asyncio.wait_for(self.condition.wait_for(predicate), timeout)
            except TimeoutError:
                raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}") from None


def _wsconnect_counts(stack) -> dict[int, int]:
    return {d.port: len(WSCONNECT.findall(d.log())) for d in stack.daphnes}


@dataclass
class Peer:
    stack: object
    name: str
    browser: deploy.Browser
    hub: Hub
    placement: asyncio.Lock
    want_port: int
    ws: object = None
    port: int | None = None
    welcomed: bool = False
    last_seq: int = 0
    seen: dict[int, dict] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    acked: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    connects: int = 0
    misplaced: int = 0
    drops: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"wss://{deploy.HOST}:{deploy.HTTPS_PORT}/ws/live/{self.stack.live_session_id}/"

    async def _open(self):
        """Connect through nginx until this client lands on its own daphne process (told apart
        by which process logs the handshake).

        A connection that lands on the other process stays open while the next one is tried,
        so nginx's least_conn sends that one here. Tries go on for up to 20 s: a process whose
        handshakes failed during an outage is left out by nginx for its fail_timeout (10 s)."""
        wrong = None
        deadline = time.monotonic() + 20
        try:
            async with self.placement:
                while True:
                    ws, port = await self._connect_and_locate()
                    if port == self.want_port:
                        return ws, port
                    self.misplaced += 1
                    if wrong is not None:
                        await wrong.close()
                    wrong = ws
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{self.name} never reached daphne {self.want_port}")
                    await asyncio.sleep(0.25)
        finally:
            if wrong is not None:
                await wrong.close()

    async def _connect_and_locate(self):
        before = await asyncio.to_thread(_wsconnect_counts, self.stack)
        ws = await connect(
            self.url,
            ssl=self.stack.context,
            origin=deploy.PUBLIC_URL,
            additional_headers={"Cookie": f"sessionid={self.browser.cookies['sessionid']}"},
            open_timeout=15,
            close_timeout=2,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            after = await asyncio.to_thread(_wsconnect_counts, self.stack)
            grew = [port for port in after if after[port] > before[port]]
            if len(grew) == 1:
                return ws, grew[0]
            await asyncio.sleep(0.05)  # daphne logs the handshake just after accepting it
        return ws, None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.ws, self.port = await self._open()
                self.connects += 1
                await self.ws.send(json.dumps({"type": "hello", "after_seq": self.last_seq}))
                async for raw in self.ws:
                    await self._handle(json.loads(raw))
                if self.ws.close_code not in (1000, 1001):
                    self.drops.append(f"closed {self.ws.close_code}")
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
                self.drops.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                ws, self.ws, self.welcomed = self.ws, None, False
                if ws is not None:
                    await ws.close()
                await self.hub.notify()
            if not stop.is_set():
                await asyncio.sleep(0.3)  # back off before reconnecting, as the page does

    async def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            if frame["session"]["status"] != "live":
                self.violations.append(f"session not live: {frame['session']}")
            self.welcomed = True
            for client_msg_id, body in list(self.pending.items()):
                await self._send_message(client_msg_id, body)
        elif kind == "ack":
            client_msg_id, seq = frame["client_msg_id"], frame["seq"]
            if client_msg_id in self.acked and self.acked[client_msg_id] != seq:
                self.violations.append(
                    f"{client_msg_id} acked as {self.acked[client_msg_id]} and {seq}"
                )
            self.acked[client_msg_id] = seq
            self.pending.pop(client_msg_id, None)
        elif kind == "error":
            self.errors.append(frame)
        elif kind == "resync":
            self.violations.append(f"resync {frame}")
        elif isinstance(frame.get("seq"), int) and kind not in NOT_STREAM:
            seq = frame["seq"]
            if seq != self.last_seq + 1:
                self.violations.append(f"{self.name} got seq {seq} after {self.last_seq}")
            if seq in self.seen:
                self.violations.append(f"{self.name} got seq {seq} twice")
            self.seen[seq] = frame
            self.last_seq = max(self.last_seq, seq)
        await self.hub.notify()

    async def _send_message(self, client_msg_id: str, body: str) -> None:
        frame = {"type": "message.send", "body": body, "client_msg_id": client_msg_id}
        # Lost with the connection? It is still pending: sent again after the next welcome.
        with contextlib.suppress(ConnectionClosed, AttributeError):
            await self.ws.send(json.dumps({**frame, "reply_to": None}))

    async def say(self, body: str) -> str:
        """Queue a message; it goes out now if connected, else after the next welcome."""
        client_msg_id = str(uuid.uuid4())
        self.pending[client_msg_id] = body
        if self.ws is not None and self.welcomed:
            await self._send_message(client_msg_id, body)
        return client_msg_id

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Room:
    """Two signed-in clients in the demo's live session, one on each daphne process."""

    def __init__(self, stack, member, facilitator):
        self.stack = stack
        self.hub = Hub()
        lock = asyncio.Lock()
        ports = [d.port for d in stack.daphnes]
        self.peers = [
            Peer(stack, "member", member, self.hub, lock, want_port=ports[0]),
            Peer(stack, "facilitator", facilitator, self.hub, lock, want_port=ports[1]),
        ]
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def __aenter__(self):
        self.tasks = [asyncio.create_task(peer.run(self.stop)) for peer in self.peers]
        await self.until(lambda: all(p.welcomed for p in self.peers), 60, "both clients welcomed")
        return self

    async def __aexit__(self, *exc):
        self.stop.set()
        for peer in self.peers:
            await peer.close()
        # A client in the middle of reconnecting would only notice the stop afterwards.
        for task in self.tasks:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 30)

    async def until(self, predicate, timeout: float, what: str) -> None:
        """Wait for ``predicate``; a client that died meanwhile fails the wait with its error."""
        await self.hub.until(
            lambda: predicate() or any(task.done() for task in self.tasks), timeout, what
        )
        for task in self.tasks:
            if task.done():
                raise AssertionError(f"a client stopped while waiting for {what}") from (
                    task.exception()
                )

    @property
    def acked(self) -> dict[str, int]:
        return {k: v for peer in self.peers for k, v in peer.acked.items()}

    def everyone_saw(self, seqs) -> bool:
        return all(set(seqs) <= set(peer.seen) for peer in self.peers)

    def check_clean(self) -> None:
        for peer in self.peers:
            assert not peer.errors, (peer.name, peer.errors)
            assert not peer.violations, (peer.name, peer.violations)


async def _live_session(stack, member, facilitator) -> None:
    async with Room(stack, member, facilitator) as room:
        assert {p.port for p in room.peers} == {d.port for d in stack.daphnes}
        for peer in room.peers:
            client_msg_id = await peer.say(f"Hello from {peer.name} on {peer.port}")
            await room.until(lambda c=client_msg_id: c in room.acked, 20, f"ack of {peer.name}")
            seq = room.acked[client_msg_id]
            await room.until(lambda s=seq: room.everyone_saw([s]), 20, "delivery to both")
            for other in room.peers:
                frame = other.seen[seq]
                assert frame["type"] == "message" and frame["client_msg_id"] == client_msg_id
                assert f"Hello from {peer.name}" in frame["body_html"]
        room.check_clean()


def run_live_session_check(stack, member, facilitator) -> None:
    asyncio.run(_live_session(stack, member, facilitator))


# -- the outage -----------------------------------------------------------------------------------

UNAVAILABLE = "Sorry, the service is unavailable"


def _probe(stack, browser, path: str):
    """GET ``path`` (signed in with ``browser``, or anonymously): path, status, text, headers."""
    try:
        response = (browser or stack.browser()).get(path, timeout=30)
    except OSError as exc:  # the connection itself failed: not what nginx should do
        return path, None, f"{type(exc).__name__}: {exc}", {}
    return path, response.status, response.text, dict(response.headers)


def _probe_sign_in(stack):
    """Sign in anew (allauth's rate limits keep their counts in the Redis cache)."""
    browser = stack.browser()
    try:
        response = browser.sign_in("newcomer@example.org")
    except (OSError, AssertionError) as exc:
        return "sign-in", None, f"{type(exc).__name__}: {exc}", {}
    return "sign-in", response.status, response.text, dict(response.headers)


def _assert_unavailable(probe, *, allow_ok: bool = False) -> None:
    path, status, text, headers = probe
    assert "Traceback" not in text, (path, text[:3000])
    if allow_ok and status == 200:
        return
    assert status == 503, (path, status, text[:3000])
    if path == "/healthz":
        return
    assert UNAVAILABLE in text, (path, text[:3000])
    assert headers.get("Retry-After"), headers


def _wait_recovered(stack, browser, paths, limit: float) -> float:
    """Seconds until every path answers 200 (polled every 0.2 s, at most ``limit`` + 20 s)."""
    start = time.monotonic()

    def ok() -> bool:
        return all(_probe(stack, browser, path)[1] == 200 for path in paths)

    deploy.wait_for(ok, limit + 20, f"{paths} to answer 200 again", interval=0.2)
    return round(time.monotonic() - start, 2)


async def _talk(room: Room, stop: asyncio.Event, interval: float = 0.2) -> int:
    """Both clients take turns to send, connected or not (queued until they reconnect)."""
    sent = 0
    while not stop.is_set():
        peer = room.peers[sent % 2]
        await peer.say(f"{peer.name} message {sent}")
        sent += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
    return sent


async def _progress(room: Room, count: int, what: str) -> None:
    """Wait for ``count`` more acknowledged messages, delivered to both clients."""
    target = len(room.acked) + count
    await room.until(lambda: len(room.acked) >= target, 60, f"{count} acks {what}")
    await room.until(lambda: room.everyone_saw(room.acked.values()), 60, f"delivery {what}")


async def _outage(stack, member, facilitator) -> dict:
    report: dict = {}
    signed_in = ["/spaces/", f"/live/{stack.live_session_id}/"]
    async with Room(stack, member, facilitator) as room:
        stop_talking = asyncio.Event()
        talker = asyncio.create_task(_talk(room, stop_talking))
        await _progress(room, 5, "before the restarts")

        # PostgreSQL: down, pages 503 (house page, no traceback), back, pages 200 within 10 s.
        down = time.monotonic()
        await asyncio.to_thread(deploy.stop_postgres)
        try:
            probes = await asyncio.gather(
                asyncio.to_thread(_probe, stack, None, "/healthz"),
                asyncio.to_thread(_probe, stack, None, "/"),
                *(asyncio.to_thread(_probe, stack, member, path) for path in signed_in),
            )
        finally:
            await asyncio.to_thread(deploy.start_postgres)
            report["postgres_down_s"] = round(time.monotonic() - down, 1)
        report["postgres_outage"] = {probe[0]: probe[1] for probe in probes}
        report["postgres_recovery_s"] = await asyncio.to_thread(
            _wait_recovered, stack, member, ["/healthz", *signed_in], 10
        )
        for probe in probes:
            _assert_unavailable(probe)
        assert json.loads(probes[0][2])["database"].startswith("failed"), probes[0]
        assert report["postgres_recovery_s"] <= 10, report
        await _progress(room, 5, "after PostgreSQL restarted")

        # A quick restart with the pools full of connections that died with it: the health
        # check as a connection leaves the pool (CONN_HEALTH_CHECKS) replaces them, so the very
        # next requests work.
        await asyncio.gather(
            *(asyncio.to_thread(_probe, stack, member, path) for path in signed_in * 4)
        )
        await asyncio.to_thread(deploy.restart_postgres)
        after = await asyncio.gather(
            *(asyncio.to_thread(_probe, stack, member, path) for path in signed_in * 4)
        )
        report["after_quick_restart"] = [probe[1] for probe in after]
        assert all(probe[1] == 200 for probe in after), report
        await _progress(room, 5, "after the quick restart")

        # Redis: the channel layer and the cache go; health says so, pages never 500.
        down = time.monotonic()
        await asyncio.to_thread(deploy.stop_redis)
        try:
            probes = await asyncio.gather(
                asyncio.to_thread(_probe, stack, None, "/healthz"),
                *(asyncio.to_thread(_probe, stack, member, path) for path in signed_in),
                asyncio.to_thread(_probe_sign_in, stack),
            )
        finally:
            await asyncio.to_thread(deploy.start_redis)
            report["redis_down_s"] = round(time.monotonic() - down, 1)
        report["redis_outage"] = {probe[0]: probe[1] for probe in probes}
        report["redis_recovery_s"] = await asyncio.to_thread(
            _wait_recovered, stack, member, ["/healthz", *signed_in], 10
        )
        _assert_unavailable(probes[0])
        health = json.loads(probes[0][2])
        assert health["channel_layer"].startswith("failed") and health["database"] == "ok", health
        # Pages that need only PostgreSQL keep working; signing in needs the cache (allauth's
        # rate limits), so it answers 503.
        for probe in probes[1:-1]:
            _assert_unavailable(probe, allow_ok=True)
        _assert_unavailable(probes[-1])
        assert report["redis_recovery_s"] <= 10, report
        await _progress(room, 5, "after Redis restarted")

        stop_talking.set()
        report["sent"] = await talker
        await room.until(
            lambda: not any(p.pending for p in room.peers), 60, "every message acknowledged"
        )
        acked = room.acked
        await room.until(lambda: room.everyone_saw(acked.values()), 60, "every ack delivered")
        room.check_clean()
        for peer in room.peers:
            for client_msg_id, seq in acked.items():
                assert peer.seen[seq]["client_msg_id"] == client_msg_id, (peer.name, seq)
        report["acked"] = len(acked)
        report["reconnects"] = {p.name: p.connects - 1 for p in room.peers}
        report["misplaced_connects"] = sum(p.misplaced for p in room.peers)
        report["drop_reasons"] = sorted({d.split(";")[0] for p in room.peers for d in p.drops})

    # Every acknowledged message is stored exactly once, under the seq its sender was told.
    rows = deploy.sql(
        "SELECT client_msg_id, seq FROM realtime_liveevent "
        "WHERE session_id = %s AND client_msg_id = ANY(%s)",
        stack.live_session_id,
        list(acked),
    )
    assert dict(rows) == acked
    assert len(rows) == len(acked)
    return report


def run_outage_check(stack, member, facilitator) -> dict:
    return asyncio.run(_outage(stack, member, facilitator))
