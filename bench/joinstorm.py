"""Join storm benchmark (issue 17): 400 signed-in members join one live room within 30 s.

``run()`` is called by bench/run.py (``--join-storm``); ``python -m bench.joinstorm`` runs it
alone. It builds its own PostgreSQL database (``--storm-database``, default
``forum_storm_join``; dropped and created again), starts a private redis-server and two
daphne processes (``bench.floor_asgi``: the site plus a bare channels group, DEBUG off) on
loopback ports, signs the members in by writing their session rows in bulk, and then, per
scenario, on fresh daphne processes:

- one facilitator is in the room first (it sees the full presence list), with a second tab on
  the other process so both are warm;
- "floor" first: the same joins, spread the same way, to ``/ws/floor/`` (no sign-in, no
  database, no presence), the least a channels connect costs on the machine;
- ``--storm-members`` distinct members connect, alternating between the two processes, either
  spread evenly over ``--storm-seconds`` ("spread") or all at once ("burst"); each sends
  ``hello`` and waits for its ``welcome``;
- reported: how many got their welcome, connect-to-welcome p50/p99 (from opening the TCP
  connection to the welcome frame, one clock), daphne CPU (utime + stime of both processes,
  from /proc, from just before the first join until presence has settled) per join, and the
  presence frames the processes sent (every client counts what it receives).

Every client runs in this process on one asyncio loop, so on a small machine the clients
compete with daphne for the cores: the CPU figure is the servers' own, read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.procs import cpu_seconds, percentile  # noqa: E402
from bench.procs import stop as _stop  # noqa: E402
from bench.procs import wait_port as _wait_port  # noqa: E402

PY = sys.executable
HOST = "127.0.0.1"
TARGET_CPU_MS_PER_JOIN = 10.0
SETTLE_S = 3.0  # after the last welcome: the last presence window closes and is sent


# -- inside Django: sign members in, in bulk ---------------------------------------------------


def _seed(members: int) -> dict:
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from community.models import User
    from realtime.models import LiveSession

    session = LiveSession.objects.filter(status=LiveSession.Status.LIVE).order_by("pk").first()
    facilitator = User.objects.get(email="facilitator@example.org")
    users = {u.email: u for u in User.objects.filter(email__regex=r"^member[0-9]+@example\.org$")}
    crowd = [users[f"member{n}@example.org"] for n in range(1, members + 1)]
    expires = timezone.now() + timedelta(days=1)
    rows, keys = [], []
    for user in [facilitator, *crowd]:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            Session(session_key=key, session_data=SessionStore().encode(data), expire_date=expires)
        )
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=500)
    return {"session_id": session.pk, "facilitator": keys[0], "cookies": keys[1:]}


# -- processes ---------------------------------------------------------------------------------


class Stack:
    """A private redis-server and two daphne processes on the given ports."""

    def __init__(self, env: dict[str, str], workdir: Path, ports: list[int]) -> None:
        self.workdir = workdir
        self.database_url = env["DATABASE_URL"]
        self.daphne_args: list[str] = []
        self.redis_port, *self.ports = ports
        self.env = {**env, "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0"}
        self.redis: subprocess.Popen | None = None
        self.daphnes: list[subprocess.Popen] = []

    def start(self) -> None:
        log = self.workdir / "storm-redis.log"
        self.redis = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.redis_port), "--bind", HOST),
                *("--save", "", "--appendonly", "no", "--maxclients", "10000"),
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait_port(self.redis_port, self.redis, log)

    def restart_daphnes(self) -> None:
        for proc in self.daphnes:
            _stop(proc)
        self.daphnes = []
        subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "FLUSHALL"], check=True, capture_output=True
        )
        # Stopped processes leave their sockets' presence rows behind: each scenario starts
        # with an empty room.
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM realtime_presence")
        for index, port in enumerate(self.ports):
            log = self.workdir / f"storm-daphne-{index}.log"
            proc = subprocess.Popen(
                [
                    *(str(Path(PY).parent / "daphne"), "-b", HOST, "-p", str(port)),
                    *self.daphne_args,
                    "bench.floor_asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log.open("a"),
                stderr=subprocess.STDOUT,
            )
            self.daphnes.append(proc)
            _wait_port(port, proc, log)

    def cpu(self) -> float:
        return sum(cpu_seconds(proc.pid) for proc in self.daphnes)

    def stop_all(self) -> None:
        for proc in [*self.daphnes, self.redis]:
            _stop(proc)


# -- clients -----------------------------------------------------------------------------------


class Member:
    """One socket: connect, hello, wait for welcome; counts the presence frames it gets."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.port, self.path, self.cookie = port, path, cookie
        self.ws = None
        self.welcomed = asyncio.Event()
        self.welcome_s: float | None = None
        self.presence = 0
        self.presence_last: dict | None = None
        self.error: str | None = None
        self.reader: asyncio.Task | None = None

    async def join(self, timeout: float = 60) -> None:
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        try:
            self.ws = await connect(
                f"ws://{HOST}:{self.port}{self.path}",
                origin=f"http://{HOST}:{self.port}",
                additional_headers={"Cookie": f"sessionid={self.cookie}"},
                open_timeout=timeout,
                close_timeout=2,
                max_queue=None,
            )
            self.reader = asyncio.create_task(self._read())
            await self.ws.send(json.dumps({"type": "hello", "after_seq": 0}))
            await asyncio.wait_for(self.welcomed.wait(), timeout)
            self.welcome_s = time.perf_counter() - started
        except Exception as exc:  # counted, not raised
            self.error = f"{type(exc).__name__}: {exc}"[:200]

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "welcome":
                    self.welcomed.set()
                elif kind == "presence":
                    self.presence += 1
                    self.presence_last = frame
                elif kind == "error":
                    self.error = f"error frame: {frame.get('code')}: {frame.get('detail')}"[:200]
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)


async def scenario(stack: Stack, seed: dict, mode: str, members: int, seconds: float) -> dict:
    stack.restart_daphnes()
    # "floor": the same joins, spread the same way, to a bare channels group (bench.floor_asgi:
    # no sign-in, no database, no presence): the least a channels connect costs here.
    path = "/ws/floor/storm/" if mode == "floor" else f"/ws/live/{seed['session_id']}/"
    host = Member(stack.ports[0], path, seed["facilitator"])
    await host.join()
    # A second tab of the facilitator's on the other process: both processes have served a
    # socket (imports, connections, templates warm) before the storm is measured.
    warm = [Member(port, path, seed["facilitator"]) for port in stack.ports[1:]]
    await asyncio.gather(*(tab.join() for tab in warm))
    for member in [host, *warm]:
        if member.error:
            raise SystemExit(f"the facilitator could not join: {member.error}")
    await asyncio.sleep(SETTLE_S)  # the facilitator's own presence window closes
    for member in [host, *warm]:
        member.presence = 0
    crowd = [
        Member(stack.ports[i % len(stack.ports)], path, cookie)
        for i, cookie in enumerate(seed["cookies"][:members])
    ]
    loop = asyncio.get_running_loop()
    cpu0, t0 = stack.cpu(), loop.time()
    gap = seconds / members if mode in ("spread", "floor") else 0.0
    tasks = []
    for i, member in enumerate(crowd):
        if gap:
            delay = t0 + i * gap - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(member.join()))
    await asyncio.gather(*tasks)
    all_in_s = loop.time() - t0
    await asyncio.sleep(SETTLE_S)
    cpu1, elapsed = stack.cpu(), loop.time() - t0
    welcomed = [m for m in crowd if m.welcome_s is not None]
    times = [m.welcome_s * 1000 for m in welcomed]
    errors = sorted({m.error for m in crowd if m.error})
    everyone = [host, *warm, *crowd]
    last = host.presence_last or {}
    result = {
        "mode": mode,
        "members": members,
        "spread_s": seconds if gap else 0,
        "connected": len(welcomed),
        "all_in_s": round(all_in_s, 2),
        "welcome_p50_ms": round(statistics.median(times), 1) if times else None,
        "welcome_p99_ms": round(percentile(times, 0.99), 1) if times else None,
        "welcome_max_ms": round(max(times), 1) if times else None,
        "daphne_cpu_s": round(cpu1 - cpu0, 2),
        "cpu_ms_per_join": round((cpu1 - cpu0) * 1000 / members, 2),
        "window_s": round(elapsed, 1),
        "presence_frames_sent": sum(m.presence for m in everyone),
        "presence_frames_to_facilitator": host.presence,
        "facilitator_last_count": last.get("count"),
        "errors": errors[:3],
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    await asyncio.gather(*(m.close() for m in everyone))
    return result


async def measure(stack: Stack, seed: dict, args) -> list[dict]:
    rows = []
    for mode in args.storm_modes:
        print(f"bench joinstorm: {mode}, {args.storm_members} members", file=sys.stderr)
        rows.append(await scenario(stack, seed, mode, args.storm_members, args.storm_seconds))
    return rows


# -- setup -------------------------------------------------------------------------------------


def prepare(args, base_env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A fresh database on the PostgreSQL server of ``args.storm_database_url``."""
    import psycopg

    url = urllib.parse.urlsplit(args.storm_database_url)
    if not url.scheme.startswith("postgres"):
        raise SystemExit("The join storm needs PostgreSQL: postgres://…")
    name = args.storm_database
    if not name.replace("_", "").isalnum() or name in {"forum_bench_live", "postgres"}:
        raise SystemExit(f"Pick another database name than {name!r}.")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = url._replace(path=f"/{name}").geturl()
    env = {
        **base_env,
        "DATABASE_URL": database_url,
        "BENCH_FAST_HASHER": "1",
        "CHANNEL_PREFIX": f"benchstorm{os.getpid()}",
        "LIVE_RATE_COUNT": "100000",
    }
    env.pop("BENCH_QUERY_COUNT", None)
    return database_url, env


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "MFA_REQUIRED_FOR_ROLES": "0",
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def run(args, env: dict[str, str], workdir: Path) -> dict:
    started = time.monotonic()
    if getattr(args, "storm_reuse", False):  # a database an earlier run built, as it is
        url = urllib.parse.urlsplit(args.storm_database_url)
        database_url = url._replace(path=f"/{args.storm_database}").geturl()
        env = {
            **env,
            "DATABASE_URL": database_url,
            "BENCH_FAST_HASHER": "1",
            "CHANNEL_PREFIX": f"benchstorm{os.getpid()}",
            "LIVE_RATE_COUNT": "100000",
        }
    else:
        database_url, env = prepare(args, env)
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(
            [PY, "manage.py", "seed_demo", "--force", "--extra-members", str(args.storm_members)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    out = subprocess.run(
        [PY, "-m", "bench.joinstorm", "seed", str(args.storm_members)],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    seed = json.loads(out.strip().splitlines()[-1])
    setup_s = round(time.monotonic() - started, 1)
    stack = Stack(env, workdir, args.storm_ports)
    stack.daphne_args = str(getattr(args, "storm_daphne_args", "") or "").split()
    try:
        stack.start()
        rows = asyncio.run(measure(stack, seed, args))
    finally:
        stack.stop_all()
    return {
        "measured": True,
        "setup_s": setup_s,
        "database": database_url.rsplit("/", 1)[1],
        "layout": "two daphne processes (bench.floor_asgi: the site and the floor, DEBUG "
        "off), channels-redis on a private redis-server, PostgreSQL; members alternate between the processes; one "
        "facilitator in the room first",
        "target_cpu_ms_per_join": TARGET_CPU_MS_PER_JOIN,
        "rows": rows,
    }


def markdown(storm: dict) -> list[str]:
    if not storm.get("measured"):
        return [f"Join storm: {storm.get('reason', 'not measured')}", ""]
    lines = [
        f"## Join storm ({storm['layout']})",
        "",
        "| joins | over | connected | all in (s) | welcome p50 ms | p99 ms | daphne CPU s "
        "| CPU ms / join | presence frames sent (to the facilitator) | load avg | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in storm["rows"]:
        over = f"{row['spread_s']:.0f} s" if row["spread_s"] else "at once"
        if row["mode"] == "floor":
            over += ", channels floor"
        met = (
            row["connected"] == row["members"]
            and row["cpu_ms_per_join"] <= storm["target_cpu_ms_per_join"]
        )
        verdict = "–" if row["mode"] == "floor" else ("met" if met else "missed")
        lines.append(
            f"| {row['members']} | {over} | {row['connected']} | {row['all_in_s']} "
            f"| {row['welcome_p50_ms']} | {row['welcome_p99_ms']} | {row['daphne_cpu_s']} "
            f"| {row['cpu_ms_per_join']} | {row['presence_frames_sent']:,} "
            f"({row['presence_frames_to_facilitator']}) | {' '.join(row['loadavg'])} "
            f"| {verdict} |"
        )
    lines.append("")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("join storm (bench/joinstorm.py)")
    group.add_argument("--storm-members", type=int, default=400, help="Members joining (400).")
    group.add_argument("--storm-seconds", type=float, default=30.0, help="Spread over (30 s).")
    group.add_argument(
        "--storm-modes",
        default="floor,spread,burst",
        help="floor (a bare channels group), spread, burst (floor,spread,burst).",
    )
    group.add_argument(
        "--storm-database", default="forum_storm_join", help="Its own database (dropped first)."
    )
    group.add_argument(
        "--storm-daphne-args",
        default="",
        help="More daphne options, e.g. '--websocket_connect_timeout 30'.",
    )
    group.add_argument(
        "--storm-reuse", action="store_true", help="Use the database of an earlier run as it is."
    )
    group.add_argument(
        "--storm-ports",
        default="18410,18411,18412",
        help="Redis and the two daphne processes (18410,18411,18412).",
    )


def finish_arguments(args) -> None:
    args.storm_modes = [m for m in str(args.storm_modes).split(",") if m]
    if isinstance(args.storm_ports, str):
        args.storm_ports = [int(p) for p in args.storm_ports.split(",")]
    if not getattr(args, "storm_database_url", None):
        args.storm_database_url = (
            getattr(args, "database_url", None) or "postgres://postgres@127.0.0.1:5432/postgres"
        )


def main(argv: list[str]) -> int:
    if argv[:1] == ["seed"]:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        sys.path.insert(0, str(ROOT))
        django.setup()
        print(json.dumps(_seed(int(argv[1]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="postgres://… (the server)")
    parser.add_argument("--json", default=None, help="Also write the result here.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    finish_arguments(args)
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="forum-storm-"))
    result = run(args, base_env(), workdir)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print("\n".join(markdown(result)))
    print(json.dumps(result["rows"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
