"""Live delivery benchmark (issue 7, item 3): two daphne processes on Redis and PostgreSQL.

``run()`` is called by bench/run.py (``--live`` / ``--live-only``). It starts its own Redis on
a free loopback port (so the Redis restart scenario disturbs nobody), a dedicated PostgreSQL
database ``<name>_bench_live``, and two daphne processes serving :mod:`bench.floor_asgi`: the
forum's ``/ws/live/<id>/`` and a bare channels group broadcast (``/ws/floor/<room>/``) side by
side. Every client runs in this process on one asyncio loop with the ``websockets`` client, so
send and receipt times come from one clock (``time.perf_counter``).

``python -m bench.live seed <members> <prefill>`` runs inside the bench database (Django set
up): it signs members in by writing session rows and prints the ids and cookies as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.procs import cpu_seconds, percentile, rss_kb  # noqa: E402
from bench.procs import wait_port as _wait_port  # noqa: E402

PY = sys.executable
HOST = "127.0.0.1"
TARGET_RATIO = 1.5  # p99 against the channels floor
TARGET_CPU_RATIO = 0.5  # CPU per delivery against the channels floor (issue 17: fan-out)
LARGE_P99_MS = 1000  # the large room (1,000 clients at 5 messages/s): p99 under 1 s
CONNECT_BATCH = 50  # clients connected at once outside the storm


# -- inside Django: sign members in and prefill the session ----------------------------------


def _seed(members: int, prefill: int) -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from community.models import User
    from realtime import services
    from realtime.models import LiveSession

    def cookie(user: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    session = LiveSession.objects.filter(status=LiveSession.Status.LIVE).order_by("pk").first()
    sender = User.objects.get(email="member@example.org")
    users = {u.email: u for u in User.objects.filter(email__regex=r"^member[0-9]+@example\.org$")}
    receivers = [users[f"member{n}@example.org"] for n in range(1, members + 1)]
    for n in range(prefill):
        services.send_live_message(
            actor=sender, session=session, body=f"Prefill {n}", client_msg_id=f"prefill-{n}"
        )
    session.refresh_from_db()
    return {
        "session_id": session.pk,
        "last_seq": session.last_seq,
        "sender": cookie(sender),
        "cookies": [cookie(user) for user in receivers],
    }


# -- processes -------------------------------------------------------------------------------


def _free_port() -> int:
    """A free loopback port: from ``BENCH_PORTS`` (``first-last``) when set, so engineers
    sharing a machine keep to their own ranges; else any the kernel gives."""
    import socket

    span = os.environ.get("BENCH_PORTS")
    if span:
        first, last = (int(part) for part in span.split("-"))
        for port in range(first, last + 1):
            if port in _PORTS_TAKEN:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind((HOST, port))
                except OSError:
                    continue
            _PORTS_TAKEN.add(port)
            return port
        raise SystemExit(f"No free port in BENCH_PORTS={span}")
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


_PORTS_TAKEN: set[int] = set()


class Stack:
    """Redis, two daphne processes and (on demand) the raw websockets server, on fixed ports."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.workdir = workdir
        self.redis_port = _free_port()
        self.env = {**env, "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0"}
        self.ports = [_free_port(), _free_port()]
        self.daphnes: list[subprocess.Popen | None] = [None, None]
        self.redis: subprocess.Popen | None = None
        self.raw: subprocess.Popen | None = None
        self.raw_port = _free_port()

    def start_redis(self) -> None:
        log = self.workdir / "redis.log"
        self.redis = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.redis_port), "--bind", HOST),
                *("--save", "", "--appendonly", "no", "--maxclients", "10000"),
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.redis_port, self.redis, log)

    def restart_redis(self) -> None:
        assert self.redis is not None
        self.redis.kill()
        self.redis.wait()
        self.start_redis()

    def start_daphne(self, index: int) -> None:
        log = self.workdir / f"daphne-{index}.log"
        proc = subprocess.Popen(
            [
                *(str(Path(PY).parent / "daphne"), "-b", HOST, "-p", str(self.ports[index])),
                "bench.floor_asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        self.daphnes[index] = proc
        _wait_port(self.ports[index], proc, log)

    def kill_daphne(self, index: int) -> None:
        proc = self.daphnes[index]
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def restart_daphnes(self) -> None:
        for index in (0, 1):
            self.stop(self.daphnes[index])
        for index in (0, 1):
            self.start_daphne(index)

    def start_raw(self) -> None:
        log = self.workdir / "raw_ws.log"
        self.raw = subprocess.Popen(
            [PY, "-m", "bench.raw_ws", str(self.raw_port)],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.raw_port, self.raw, log)

    @staticmethod
    def stop(proc: subprocess.Popen | None) -> None:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in [*self.daphnes, self.raw, self.redis]:
            self.stop(proc)

    def pids(self, kind: str) -> list[int]:
        if kind == "raw":
            return [self.raw.pid]
        return [proc.pid for proc in self.daphnes]

    def ports_for(self, kind: str) -> list[int]:
        return [self.raw_port] if kind == "raw" else self.ports


# -- clients ---------------------------------------------------------------------------------


class Peer:
    """One WebSocket client: records when each benchmark message reaches it.

    With ``resilient`` it reconnects after an unexpected close (bounded attempts) and resumes
    with ``hello`` and the last seq it saw, as the room's JavaScript does.
    """

    def __init__(self, run: Scenario, port: int, cookie: str | None, *, counts: bool = True):
        self.run, self.port, self.cookie, self.counts = run, port, cookie, counts
        self.ws = None
        self.got: dict[str, float] = {}  # client_msg_id -> receipt time
        self.seq_of: dict[str, int] = {}
        self.last_seq = 0
        self.welcomed = asyncio.Event()
        self.closes: list[int | None] = []
        self.errors: list[dict] = []
        self.resyncs = 0
        self.reconnects = 0
        self.closing = False
        self.reader: asyncio.Task | None = None
        self.reconnecting: asyncio.Task | None = None
        self.gone = asyncio.Event()

    async def open(self, after_seq: int, timeout: float = 30) -> None:
        from websockets.asyncio.client import connect

        headers = {"Cookie": f"sessionid={self.cookie}"} if self.cookie else {}
        self.welcomed.clear()
        self.ws = await connect(
            f"ws://{HOST}:{self.port}{self.run.path}",
            origin=f"http://{HOST}:{self.port}",
            additional_headers=headers,
            open_timeout=timeout,
            close_timeout=2,
            max_queue=None,
            # No keepalive pings: at 1,000 clients a loaded bench process can miss the pong
            # deadline and close a healthy socket with 1011 (a figure of the client, not the
            # server); the idle soak checks the servers' own timeouts.
            ping_interval=None,
        )
        self.reader = asyncio.create_task(self._read(self.ws))
        await self.ws.send(json.dumps({"type": "hello", "after_seq": after_seq}))
        await asyncio.wait_for(self.welcomed.wait(), timeout)

    async def _read(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        run = self.run
        try:
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                seq = frame.get("seq")
                if kind == "message":
                    cmid = frame.get("client_msg_id") or ""
                    if self.counts and cmid.startswith(run.tag) and cmid not in self.got:
                        self.got[cmid] = now
                        self.seq_of[cmid] = seq
                        run.delivered += 1
                if seq is not None and kind in ("message", "question", "message.removed", "state"):
                    self.last_seq = max(self.last_seq, seq)
                elif kind == "welcome":
                    self.last_seq = max(self.last_seq, frame.get("last_seq") or 0)
                    self.welcomed.set()
                elif kind == "ack":
                    run.acked[frame["client_msg_id"]] = frame["seq"]
                    run.ack_at.setdefault(frame["client_msg_id"], now)
                elif kind == "resync":
                    self.resyncs += 1
                elif kind == "error":
                    self.errors.append(frame)
        except ConnectionClosed:
            pass
        self.closes.append(ws.close_code)
        if not self.closing and run.resilient:
            self.reconnecting = asyncio.create_task(self._reconnect())
        else:
            self.gone.set()

    async def _reconnect(self) -> None:
        for attempt in range(120):  # bounded: at most about a minute
            await asyncio.sleep(0.25 + 0.25 * min(attempt, 2))
            if self.closing:
                break
            try:
                await self.open(self.last_seq, timeout=10)
                self.reconnects += 1
                if self.run.on_reconnect is not None:
                    await self.run.on_reconnect(self)
                return
            except Exception:  # refused while the server restarts
                continue
        self.gone.set()

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)


class Scenario:
    def __init__(self, kind: str, path: str, *, resilient: bool = False) -> None:
        self.kind = kind
        self.path = path
        self.tag = f"{kind}-{uuid.uuid4().hex[:8]}-"
        self.delivered = 0
        self.acked: dict[str, int] = {}
        self.ack_at: dict[str, float] = {}  # the sender's receipt of the ack: stored (forum)
        self.sent_at: dict[str, float] = {}
        self.resilient = resilient
        self.on_reconnect = None


async def _connect_all(peers: list[Peer], after_seq: int, batch: int) -> list[str]:
    failures = []

    async def one(peer: Peer) -> None:
        try:
            await peer.open(after_seq)
        except Exception as exc:  # counted, not raised
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    for start in range(0, len(peers), batch):
        await asyncio.gather(*(one(peer) for peer in peers[start : start + batch]))
    return failures


async def _close_all(peers: list[Peer]) -> None:
    await asyncio.gather(*(peer.close() for peer in peers))


class Bench:
    """The measurements, each a bounded coroutine on the stack."""

    def __init__(self, stack: Stack, seed: dict, database_url: str, args) -> None:
        self.stack, self.seed, self.database_url, self.args = stack, seed, database_url, args

    def last_seq(self) -> int:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT last_seq FROM realtime_livesession WHERE id = %s", [self.seed["session_id"]]
            ).fetchone()
        return row[0]

    def scenario(self, kind: str, **extra) -> Scenario:
        if kind == "forum":
            path = f"/ws/live/{self.seed['session_id']}/"
        elif kind == "lean":
            path = f"/ws/lean/r{uuid.uuid4().hex[:8]}/"
        else:
            path = f"/ws/floor/r{uuid.uuid4().hex[:8]}/"
        return Scenario(kind, path, **extra)

    def peers(self, run: Scenario, n: int) -> list[Peer]:
        ports = self.stack.ports_for(run.kind)
        cookies = self.seed["cookies"]
        return [
            Peer(run, ports[i % len(ports)], cookies[i] if run.kind == "forum" else None)
            for i in range(n)
        ]

    def cpu(self, kind: str) -> tuple[float, float]:
        servers = sum(cpu_seconds(pid) for pid in self.stack.pids(kind))
        return servers, cpu_seconds(self.stack.redis.pid)

    async def _send(
        self, run: Scenario, sender: Peer, messages: int, rate: float, first: int = 0
    ) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(first, first + messages):
            delay = start + (i - first) / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            cmid = f"{run.tag}{i}"
            run.sent_at[cmid] = time.perf_counter()
            frame = {"type": "message.send", "body": f"Bench message {i}", "client_msg_id": cmid}
            while True:
                try:
                    await sender.ws.send(json.dumps(frame))
                    break
                except Exception:  # resilient runs: wait for the reconnect
                    if not run.resilient:
                        raise
                    await asyncio.sleep(0.2)

    async def _drain(self, run: Scenario, expected: int, quiet: float = 5, cap: float = 90) -> None:
        """Wait until every delivery arrived, or nothing arrived for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cap
        last, last_change = run.delivered, loop.time()
        while run.delivered < expected and loop.time() < deadline:
            await asyncio.sleep(0.05)
            if run.delivered != last:
                last, last_change = run.delivered, loop.time()
            elif loop.time() - last_change > quiet:
                break

    async def _repair(self, run: Scenario, peers: list[Peer], cmids: list[str]) -> int:
        """Gap repair: a client missing stored messages sends ``hello`` from before the gap."""
        repaired = 0
        for peer in peers:
            missing = [run.acked[c] for c in cmids if c not in peer.got and c in run.acked]
            if not missing or peer.ws is None:
                continue
            before = len(peer.got)
            try:
                await peer.ws.send(json.dumps({"type": "hello", "after_seq": min(missing) - 1}))
            except Exception:
                continue
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(c not in peer.got for c in cmids):
                await asyncio.sleep(0.05)
            repaired += len(peer.got) - before
        return repaired

    async def _settle(self, kind: str, cap: float = 90) -> float:
        """Wait until the servers are idle (under 10% CPU over half a second); seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < cap:
            before = self.cpu(kind)[0]
            await asyncio.sleep(0.5)
            if self.cpu(kind)[0] - before < 0.05:
                break
        return time.monotonic() - started

    async def delivery(
        self, kinds: list[str], n: int, messages: int | None = None, rate: float | None = None
    ) -> dict[str, dict]:
        """N clients per stack, connected at once; one sender per stack at the fixed rate.

        The stacks take turns in blocks of ``--live-block`` messages (the order alternating),
        each block drained before the next, so every stack sees the same machine load
        (noisy neighbours) in the same minutes; figures are pooled over the blocks.
        """
        args = self.args
        messages = args.live_messages if messages is None else messages
        rate = args.live_rate if rate is None else rate
        runs, peers, senders, rows = {}, {}, {}, {}
        for kind in kinds:
            run = runs[kind] = self.scenario(kind)
            after = self.last_seq() if kind == "forum" else 0
            peers[kind] = self.peers(run, n)
            cpu0 = self.cpu(kind)
            t0 = time.perf_counter()
            failures = await _connect_all(peers[kind], after, CONNECT_BATCH)
            sender = senders[kind] = Peer(
                run, self.stack.ports_for(kind)[0], self.seed["sender"], counts=False
            )
            await sender.open(self.last_seq() if kind == "forum" else 0)
            connect_s = time.perf_counter() - t0
            # Joins push presence to the room; measure delivery once that has settled.
            settle_s = await self._settle(kind)
            rows[kind] = {
                "kind": kind,
                "clients": n,
                "connected": n - len(failures),
                "connect_failures": len(failures),
                "connect_s": round(connect_s, 2),
                "settle_s": round(settle_s, 1),
                "connect_cpu_ms_per_client": round(
                    (self.cpu(kind)[0] - cpu0[0]) * 1000 / max(n, 1), 2
                ),
                "cpu_s": 0.0,
                "redis_cpu_s": 0.0,
            }
        block = max(1, min(args.live_block, messages))
        for number, first in enumerate(range(0, messages, block)):
            count = min(block, messages - first)
            order = kinds if number % 2 == 0 else [kinds[1], kinds[0], *kinds[2:]]
            for kind in order:
                run, row = runs[kind], rows[kind]
                connected = sum(1 for peer in peers[kind] if peer.ws is not None)
                cpu1 = self.cpu(kind)
                await self._send(run, senders[kind], count, rate, first)
                await self._drain(run, connected * (first + count))
                cpu2 = self.cpu(kind)
                row["cpu_s"] += cpu2[0] - cpu1[0]
                row["redis_cpu_s"] += cpu2[1] - cpu1[1]
        cmids_all = {kind: [f"{runs[kind].tag}{i}" for i in range(messages)] for kind in kinds}
        for kind in kinds:
            run, row, cmids = runs[kind], rows[kind], cmids_all[kind]
            connected = [peer for peer in peers[kind] if peer.ws is not None]
            live = run.delivered
            latencies = [
                (t - run.sent_at[cmid]) * 1000
                for peer in peers[kind]
                for cmid, t in peer.got.items()
            ]
            acks = [(run.ack_at[c] - run.sent_at[c]) * 1000 for c in cmids if c in run.ack_at]
            lost_before = sum(1 for peer in connected for c in cmids if c not in peer.got)
            repaired = await self._repair(run, connected, cmids) if kind == "forum" else 0
            lost_after = sum(1 for peer in connected for c in cmids if c not in peer.got)
            row.update(
                messages=messages,
                rate=rate,
                block=block,
                acked=len(run.acked),
                deliveries_expected=len(connected) * messages,
                delivered_live=live,
                lost_before_repair=lost_before,
                repaired=repaired,
                lost=lost_after,
                p50_ms=round(statistics.median(latencies), 1) if latencies else None,
                p99_ms=round(percentile(latencies, 0.99), 1) if latencies else None,
                max_ms=round(max(latencies), 1) if latencies else None,
                ack_p50_ms=round(statistics.median(acks), 1) if acks else None,
                ack_p99_ms=round(percentile(acks, 0.99), 1) if acks else None,
                cpu_ms_per_delivery=round(row["cpu_s"] * 1000 / max(live, 1), 3),
                redis_cpu_ms_per_delivery=round(row["redis_cpu_s"] * 1000 / max(live, 1), 4),
                errors=sum(len(peer.errors) for peer in peers[kind]) + len(senders[kind].errors),
                closes=sorted({c for peer in peers[kind] for c in peer.closes if c != 1000}),
            )
            await _close_all([*peers[kind], senders[kind]])
        return rows

    async def catch_up(self, missed: int) -> dict:
        """A client that missed ``missed`` messages reconnects with ``after_seq``: one round trip."""
        last = self.last_seq()
        run = self.scenario("forum")
        peer = Peer(run, self.stack.ports[1], self.seed["sender"], counts=False)
        t0 = time.perf_counter()
        await peer.open(last)  # connected and up to date
        await peer.close()
        # Reconnect as after a dropped connection, ``missed`` messages behind.
        from websockets.asyncio.client import connect

        t1 = time.perf_counter()
        async with connect(
            f"ws://{HOST}:{self.stack.ports[1]}{run.path}",
            origin=f"http://{HOST}:{self.stack.ports[1]}",
            additional_headers={"Cookie": f"sessionid={self.seed['sender']}"},
            max_queue=None,
        ) as ws:
            t2 = time.perf_counter()
            await ws.send(json.dumps({"type": "hello", "after_seq": last - missed}))
            got, requests, resync = 0, 1, False
            while got < missed:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("type") == "resync":
                    resync = True
                if frame.get("seq") is not None and last - missed < frame["seq"] <= last:
                    got += 1
            t3 = time.perf_counter()
        del t0
        return {
            "missed": missed,
            "received": got,
            "round_trips": requests,
            "resync": resync,
            "hello_to_all_ms": round((t3 - t2) * 1000, 1),
            "reconnect_to_all_ms": round((t3 - t1) * 1000, 1),
        }

    async def storm(self, kind: str, clients: int, soak_s: float) -> dict:
        """Fresh servers; ``clients`` connect at once; RSS per idle connection; idle soak."""
        if kind == "raw":
            self.stack.stop(self.stack.raw)
            self.stack.start_raw()
        else:
            self.stack.restart_daphnes()
        run = self.scenario(kind)
        after = self.last_seq() if kind == "forum" else 0
        warm = self.peers(run, 2)
        await _connect_all(warm, after, 2)
        await asyncio.sleep(1)
        rss0 = sum(rss_kb(pid) for pid in self.stack.pids(kind))
        peers = self.peers(run, clients)
        t0 = time.perf_counter()
        failures = await _connect_all(peers, after, clients)
        storm_s = time.perf_counter() - t0
        await asyncio.sleep(3)
        rss1 = sum(rss_kb(pid) for pid in self.stack.pids(kind))
        ok = [peer for peer in peers if peer.ws is not None and peer.welcomed.is_set()]
        closes_before = sum(len(peer.closes) for peer in peers)
        soak = None
        if soak_s > 0:
            await asyncio.sleep(soak_s)
            codes = [c for peer in peers for c in peer.closes]
            soak = {
                "seconds": soak_s,
                "closes": len(codes) - closes_before,
                "closes_1011": codes.count(1011),
                "open_at_end": sum(1 for p in ok if p.ws.close_code is None),
            }
        await _close_all([*warm, *peers])
        return {
            "kind": kind,
            "clients": clients,
            "failures": len(failures),
            "failure_examples": sorted(set(failures))[:3],
            "storm_s": round(storm_s, 2),
            "rss_kb_per_connection": round((rss1 - rss0) / max(len(ok), 1), 1),
            "soak": soak,
        }

    async def faults(self, n: int) -> dict:
        """kill -9 of one daphne, then a Redis restart, while a sender runs: 0 lost after repair."""
        args = self.args
        run = self.scenario("forum", resilient=True)
        after = self.last_seq()
        peers = self.peers(run, n)
        failures = await _connect_all(peers, after, CONNECT_BATCH)
        sender = Peer(run, self.stack.ports[0], self.seed["sender"], counts=False)
        await sender.open(self.last_seq())
        messages = max(args.live_messages, 60)
        cmids = [f"{run.tag}{i}" for i in range(messages)]

        async def resend_unacked(peer: Peer) -> None:
            if peer is sender:  # resend what was never acked: stored once per client_msg_id
                for cmid in [c for c in run.sent_at if c not in run.acked]:
                    i = int(cmid.rsplit("-", 1)[1])
                    body = f"Bench message {i}"
                    frame = {"type": "message.send", "body": body, "client_msg_id": cmid}
                    await peer.ws.send(json.dumps(frame))

        run.on_reconnect = resend_unacked
        sending = asyncio.create_task(self._send(run, sender, messages, args.live_rate, 0))
        events = []
        await asyncio.sleep(messages / args.live_rate / 3)
        self.stack.kill_daphne(1)
        events.append(("kill -9 daphne 2", time.perf_counter()))
        await asyncio.sleep(0.5)
        self.stack.start_daphne(1)
        await asyncio.sleep(max(0.0, messages / args.live_rate / 3 - 0.5))
        self.stack.restart_redis()
        events.append(("redis restart", time.perf_counter()))
        await sending
        await asyncio.sleep(2)
        await resend_unacked(sender)
        await self._drain(run, n * messages, quiet=8, cap=120)
        lost_before = sum(1 for peer in peers for c in cmids if c not in peer.got)
        repaired = await self._repair(run, peers, cmids)
        lost = sum(1 for peer in peers for c in cmids if c not in peer.got)
        codes: dict[str, int] = {}
        for peer in peers:
            for code in peer.closes:
                codes[str(code)] = codes.get(str(code), 0) + 1
        await _close_all([*peers, sender])
        return {
            "clients": n,
            "connect_failures": len(failures),
            "messages": messages,
            "acked": len(run.acked),
            "events": [name for name, _ in events],
            "reconnects": sum(peer.reconnects for peer in peers) + sender.reconnects,
            "close_codes": codes,
            "lost_before_repair": lost_before,
            "repaired": repaired,
            "lost": lost,
            "gave_up": sum(1 for peer in peers if peer.gone.is_set() and not peer.closing),
        }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


async def measure(stack: Stack, seed: dict, database_url: str, args) -> dict:
    bench = Bench(stack, seed, database_url, args)
    kinds = ["forum", "floor"] + (["lean"] if args.live_lean else [])
    kinds += ["raw"] if args.live_raw else []
    out: dict = {"delivery": [], "storm": [], "catch_up": None, "faults": None}
    rooms = [(n, None, None) for n in args.live_clients]
    if args.live_large:
        rooms.append((args.live_large, args.live_large_messages, args.live_large_rate))
    for n, messages, rate in rooms:
        print(f"bench live: delivery, {n} clients", file=sys.stderr)
        try:
            rows = await bench.delivery(kinds, n, messages, rate)
        except Exception as exc:  # e.g. handshakes refused on an overloaded machine
            print(f"bench live: {n} clients failed: {exc!r}", file=sys.stderr)
            out.setdefault("failed", []).append({"clients": n, "error": repr(exc)})
            continue
        rows["forum"]["large"] = messages is not None
        forum, floor = rows["forum"], rows["floor"]
        forum["p99_ratio_to_floor"] = _ratio(forum["p99_ms"], floor["p99_ms"])
        forum["p50_ratio_to_floor"] = _ratio(forum["p50_ms"], floor["p50_ms"])
        forum["cpu_ratio_to_floor"] = _ratio(
            forum["cpu_ms_per_delivery"], floor["cpu_ms_per_delivery"]
        )
        out["delivery"] += [rows[k] for k in kinds]
        for k in kinds:  # in the log too, should a later scenario end the run
            print(f"bench live: row {json.dumps(rows[k], default=str)}", file=sys.stderr)
    print("bench live: catch-up", file=sys.stderr)
    out["catch_up"] = await bench.catch_up(args.live_catch_up)
    for kind in [k for k in kinds if k != "lean"]:
        print(f"bench live: connect storm, {kind}", file=sys.stderr)
        soak = args.soak_seconds if kind == "forum" else 0
        out["storm"].append(await bench.storm(kind, args.live_storm, soak))
    if args.live_faults:
        print("bench live: kill -9 and Redis restart", file=sys.stderr)
        stack.restart_daphnes()
        out["faults"] = await bench.faults(min(args.live_clients))
    return out


def prepare(args, base_env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A fresh ``<name>_bench_live`` database on the PostgreSQL server; returns its URL and env."""
    import psycopg

    url = urllib.parse.urlsplit(args.live_database_url)
    if not url.scheme.startswith("postgres"):
        raise SystemExit("The live bench needs PostgreSQL: pass --database-url postgres://…")
    name = args.live_database_name or (
        (url.path.lstrip("/") or "forum").removesuffix("_bench") + "_bench_live"
    )
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = url._replace(path=f"/{name}").geturl()
    env = {
        **base_env,
        "DATABASE_URL": database_url,
        "BENCH_FAST_HASHER": "1",
        "CHANNEL_PREFIX": f"benchlive{os.getpid()}",
        "LIVE_RATE_COUNT": "100000",
    }
    env.pop("BENCH_QUERY_COUNT", None)
    return database_url, env


def run(args, base_env: dict[str, str], workdir: Path) -> dict:
    database_url, env = prepare(args, base_env)
    members = max([*args.live_clients, args.live_storm, args.live_large])
    started = time.monotonic()
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [PY, "manage.py", "seed_demo", "--force", "--extra-members", str(members)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out = subprocess.run(
        [PY, "-m", "bench.live", "seed", str(members), str(args.live_catch_up)],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    seed = json.loads(out.strip().splitlines()[-1])
    setup_s = round(time.monotonic() - started, 1)
    stack = Stack(env, workdir)
    try:
        stack.start_redis()
        stack.start_daphne(0)
        stack.start_daphne(1)
        if args.live_raw:
            stack.start_raw()
        result = asyncio.run(measure(stack, seed, database_url, args))
    finally:
        stack.stop_all()
    result.update(
        measured=True,
        setup_s=setup_s,
        database=database_url.rsplit("/", 1)[1],
        rate=args.live_rate,
        layout="two daphne processes (bench.floor_asgi), channels-redis on a private "
        "redis-server, PostgreSQL; clients alternate between the two; sender on the first",
        redis_version=subprocess.run(
            ["redis-server", "--version"], text=True, capture_output=True
        ).stdout.strip(),
        websockets=_version("websockets"),
        targets={
            "p99_ratio": TARGET_RATIO,
            "cpu_ratio": TARGET_CPU_RATIO,
            "lost": 0,
            "large_p99_ms": LARGE_P99_MS,
        },
    )
    return result


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def markdown(live: dict) -> list[str]:
    if not live.get("measured"):
        return [f"Live delivery: {live.get('reason', 'not measured')}", ""]
    lines = [
        f"## Live delivery ({live['rate']} messages/s, one sender; {live['layout']})",
        "",
        "| stack | clients | connected | delivered | lost before repair | lost | p50 ms | p99 ms "
        "| ack p50 ms | CPU ms / delivery | p99 ÷ floor | CPU ÷ floor | targets |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        # Targets: p99 at most 1.5x the floor's, CPU per delivery at most 0.5x (issue 17); the
        # large room (its rate in the clients column): p99 under 1 s, all delivered.
    ]
    for row in live["delivery"]:
        ratios = ("", "", "")
        if row["kind"] == "forum":
            misses = []
            if row["lost"] or row["delivered_live"] + row["repaired"] < row["deliveries_expected"]:
                misses.append("lost")
            if row.get("large"):
                if (row.get("p99_ms") or 1e9) >= LARGE_P99_MS:
                    misses.append("p99")
            elif (row.get("p99_ratio_to_floor") or 99) > TARGET_RATIO:
                misses.append("p99")
            if (row.get("cpu_ratio_to_floor") or 99) > TARGET_CPU_RATIO:
                misses.append("CPU")
            ratios = (
                row.get("p99_ratio_to_floor"),
                row.get("cpu_ratio_to_floor"),
                "met" if not misses else "missed: " + ", ".join(misses),
            )
        lines.append(
            f"| {row['kind']} | {row['clients']}{' at ' + str(row['rate']) + '/s' if row.get('rate') != live['rate'] else ''} "
            f"| {row['connected']} | {row['delivered_live']:,} "
            f"| {row['lost_before_repair']} | {row['lost']} | {row['p50_ms']} | {row['p99_ms']} "
            f"| {row.get('ack_p50_ms')} | {row['cpu_ms_per_delivery']} | {ratios[0]} | {ratios[1]} | {ratios[2]} |"
        )
    c = live["catch_up"]
    lines += [
        "",
        f"Catch-up: a client {c['missed']} messages behind reconnects and has them all "
        f"{c['reconnect_to_all_ms']} ms later ({c['hello_to_all_ms']} ms from its `hello`), "
        f"in {c['round_trips']} round trip{'s' if c['round_trips'] > 1 else ''}"
        f"{', after a resync' if c['resync'] else ''}.",
        "",
        "| connect storm | clients | failures | all connected in s | RSS KB / idle connection "
        "| idle soak |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in live["storm"]:
        soak = row["soak"]
        soak_text = (
            f"{soak['seconds']:.0f} s: {soak['closes']} closes, {soak['closes_1011']} with 1011"
            if soak
            else "–"
        )
        lines.append(
            f"| {row['kind']} | {row['clients']} | {row['failures']} | {row['storm_s']} "
            f"| {row['rss_kb_per_connection']} | {soak_text} |"
        )
    f = live.get("faults")
    if f:
        lines += [
            "",
            f"Faults ({', '.join(f['events'])}; {f['clients']} clients, {f['messages']} "
            f"messages): {f['reconnects']} reconnects, close codes {f['close_codes']}, "
            f"{f['lost_before_repair']} missing before gap repair, {f['repaired']} repaired, "
            f"**{f['lost']} lost**, {f['gave_up']} clients gave up.",
        ]
    lines.append("")
    return lines


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    command, *rest = argv
    if command != "seed":
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(_seed(int(rest[0]), int(rest[1]))))


if __name__ == "__main__":
    main(sys.argv[1:])
