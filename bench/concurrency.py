"""HTTP under concurrency (issue 17): 20 signed-in members browsing at once, against one daphne
process and against two, on SQLite and on PostgreSQL.

``run()`` is called by bench/run.py (``--concurrency``); ``python -m bench.concurrency`` runs it
alone. Per database it builds a fresh one (a SQLite file in a temp dir; on PostgreSQL its own
database, ``--conc-database``, default ``forum_storm_http``, dropped and created again), runs
``seed_demo`` and a small ``generate_data``, and signs ``--conc-members`` demo members in by
writing their session rows. Then, for one and for two daphne processes (``community.asgi``,
DEBUG off), each behind the same tiny round-robin TCP proxy (``python -m bench.concurrency
proxy``, a separate process: one upstream or two, so both layouts pay the same hop), every
member is a thread on its own keep-alive connection doing, in a seeded random order: the big
thread's first or a later page, the space's thread list, the list of spaces, home, a search,
and now and then a reply (1 in 20). Reported per layout: requests per second, p50/p95 per kind
and overall, non-2xx/3xx answers, and CPU (utime + stime from /proc) of the daphne processes
and of the proxy, per request and as a share of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.procs import cpu_seconds, percentile  # noqa: E402
from bench.procs import rss_kb as _rss_kb  # noqa: E402
from bench.procs import stop as _stop  # noqa: E402

PY = sys.executable
HOST = "127.0.0.1"
SIZE = {
    "members": 300,
    "spaces": 5,
    "threads": 1000,
    "posts": 10000,
    "big-thread-posts": 1000,
    "live-sessions": 2,
    "live-events": 500,
}
MIX = [  # (kind, weight)
    ("thread first page", 25),
    ("thread later page", 15),
    ("space threads", 15),
    ("space list", 10),
    ("home", 15),
    ("search", 15),
    ("reply", 5),
]


# -- inside Django -----------------------------------------------------------------------------


def _seed(members: int) -> dict:
    from datetime import timedelta

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from community.models import GuidelinesAcceptance, GuidelinesVersion, User

    users = [User.objects.get(email=f"member{n}@example.org") for n in range(1, members + 1)]
    versions = list(GuidelinesVersion.objects.all())
    GuidelinesAcceptance.objects.bulk_create(
        [GuidelinesAcceptance(user=u, version=v) for u in users for v in versions],
        ignore_conflicts=True,
    )
    expires = timezone.now() + timedelta(days=1)
    rows, keys = [], []
    for user in users:
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
    Session.objects.bulk_create(rows)
    return {"cookies": keys}


# -- the proxy ---------------------------------------------------------------------------------


async def _proxy(listen: int, upstreams: list[int]) -> None:
    turn = 0

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal turn
        port = upstreams[turn % len(upstreams)]
        turn += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, HOST, listen)
    async with server:
        await server.serve_forever()


# -- processes ---------------------------------------------------------------------------------


def _wait_http(port: int, proc: subprocess.Popen, log: Path, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited early; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"nothing answers on {port}; see {log}")


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


# -- clients -----------------------------------------------------------------------------------


class Browser:
    """One signed-in member on one keep-alive connection."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookies = {"sessionid": cookie}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
                if attempt:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, content


def _paths(data: dict) -> dict[str, object]:
    big, last = data["big_thread_path"], data["big_thread_last_page"]
    query = urllib.parse.quote_plus(data.get("search_query", "reverse mentoring"))
    return {
        "thread first page": lambda rng: big,
        "thread later page": lambda rng: f"{big}?page={rng.randint(2, max(last, 2))}",
        "space threads": lambda rng: data["space_path"],
        "space list": lambda rng: "/spaces/",
        "home": lambda rng: "/",
        "search": lambda rng: f"/search/?q={query}",
    }


def _browse(
    browser: Browser, data: dict, seed: int, stop_at: float, measure_from: float, out: list
) -> None:
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    paths = _paths(data)
    big = data["big_thread_path"]
    n = 0
    while time.perf_counter() < stop_at:
        kind = rng.choice(kinds)
        started = time.perf_counter()
        try:
            if kind == "reply":
                n += 1
                token = browser.cookies.get("csrftoken", "")
                if not token:
                    browser.request("GET", big)
                    token = browser.cookies.get("csrftoken", "")
                form = urllib.parse.urlencode(
                    {"body": f"A reply from the concurrency bench, {seed}.{n}.",
                     "csrfmiddlewaretoken": token}
                )  # fmt: skip
                status, _ = browser.request(
                    "POST",
                    big + "reply/",
                    form,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-CSRFToken": token,
                        "Referer": f"http://{HOST}:{browser.port}{big}",
                    },
                )
            else:
                status, _ = browser.request("GET", paths[kind](rng))
        except Exception:  # counted
            status = 0
        finished = time.perf_counter()
        if measure_from <= finished <= stop_at:  # completed inside the measured window
            out.append((kind, status, finished - started))


def _summary(samples: list[tuple[str, int, float]]) -> dict:
    times = [s[2] * 1000 for s in samples]
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(percentile(times, 0.95), 1) if times else None,
        "bad": sum(1 for s in samples if not 200 <= s[1] < 400),
    }


def layout(
    env: dict[str, str], data: dict, cookies: list[str], processes: int, args, workdir: Path
) -> dict:
    ports = args.conc_ports[: processes + 1]
    proxy_port, daphne_ports = ports[0], ports[1 : processes + 1]
    daphnes = []
    proxy = None
    try:
        for index, port in enumerate(daphne_ports):
            log = workdir / f"conc-daphne-{processes}-{index}.log"
            proc = _start(
                [str(Path(PY).parent / "daphne"), "-b", HOST, "-p", str(port),
                 "community.asgi:application"],
                env,
                log,
            )  # fmt: skip
            daphnes.append(proc)
            _wait_http(port, proc, log)
        log = workdir / f"conc-proxy-{processes}.log"
        proxy = _start(
            [PY, "-m", "bench.concurrency", "proxy", str(proxy_port), *map(str, daphne_ports)],
            env,
            log,
        )
        _wait_http(proxy_port, proxy, log)
        browsers = [Browser(proxy_port, cookie) for cookie in cookies[: args.conc_members]]

        def warm(browser: Browser) -> None:  # every process serves each page at least once
            for path in ("/", data["big_thread_path"]):
                browser.request("GET", path)

        warming = [threading.Thread(target=warm, args=(b,)) for b in browsers]
        for t in warming:
            t.start()
        for t in warming:
            t.join()
        samples: list = []
        start = time.perf_counter()
        measure_from = start + args.conc_warmup
        stop_at = measure_from + args.conc_seconds
        threads = [
            threading.Thread(
                target=_browse, args=(b, data, 1000 * processes + i, stop_at, measure_from, samples)
            )
            for i, b in enumerate(browsers)
        ]
        for t in threads:
            t.start()
        # CPU over exactly the window in which the counted requests completed.
        time.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu0 = [cpu_seconds(p.pid) for p in daphnes]
        proxy0 = cpu_seconds(proxy.pid)
        t0 = time.perf_counter()
        time.sleep(max(0.0, stop_at - time.perf_counter()))
        elapsed = time.perf_counter() - t0
        cpu = [cpu_seconds(p.pid) - c for p, c in zip(daphnes, cpu0, strict=True)]
        proxy_cpu = cpu_seconds(proxy.pid) - proxy0
        loadavg = Path("/proc/loadavg").read_text().split()[:3]
        rss_mb = [round(_rss_kb(p.pid) / 1024) for p in daphnes]
        for t in threads:
            t.join()
    finally:
        _stop(proxy)
        for proc in daphnes:
            _stop(proc)
    overall = _summary(samples)
    return {
        "processes": processes,
        "members": len(browsers),
        "seconds": round(elapsed, 1),
        "requests": overall["n"],
        "throughput_rps": round(overall["n"] / elapsed, 1),
        "p50_ms": overall["p50_ms"],
        "p95_ms": overall["p95_ms"],
        "bad": overall["bad"],
        "kinds": {kind: _summary([s for s in samples if s[0] == kind]) for kind, _ in MIX},
        "daphne_cpu_s": [round(c, 2) for c in cpu],
        "daphne_core_share": [round(c / elapsed, 2) for c in cpu],
        "daphne_cpu_ms_per_request": round(sum(cpu) * 1000 / max(overall["n"], 1), 2),
        "proxy_cpu_ms_per_request": round(proxy_cpu * 1000 / max(overall["n"], 1), 2),
        "loadavg": loadavg,
        "daphne_rss_mb": rss_mb,
    }


# -- setup -------------------------------------------------------------------------------------


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
            "BENCH_FAST_HASHER": "1",
        }
    )
    return env


def prepare(vendor: str, args, workdir: Path) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{workdir / 'conc.sqlite3'}"
    import psycopg

    url = urllib.parse.urlsplit(args.conc_database_url)
    name = args.conc_database
    if not re.fullmatch(r"\w+", name) or name in {"forum_bench_live", "postgres"}:
        raise SystemExit(f"Pick another database name than {name!r}.")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url._replace(path=f"/{name}").geturl()


def build(env: dict[str, str], members: int) -> tuple[dict, list[str]]:
    def manage(*argv: str) -> str:
        return subprocess.run(
            [PY, "manage.py", *argv], cwd=ROOT, env=env, check=True, text=True,
            stdout=subprocess.PIPE,
        ).stdout  # fmt: skip

    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo", "--force", "--extra-members", str(members))
    options = [x for name, value in SIZE.items() for x in (f"--{name}", str(value))]
    data = json.loads(manage("generate_data", *options, "--no-progress").strip().splitlines()[-1])
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    out = subprocess.run(
        [PY, "-m", "bench.concurrency", "seed", str(members)],
        cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE,
    ).stdout  # fmt: skip
    return data, json.loads(out.strip().splitlines()[-1])["cookies"]


def run(args, env: dict[str, str], workdir: Path) -> dict:
    rows = []
    for vendor in args.conc_databases:
        database_url = prepare(vendor, args, workdir)
        venv = {**env, "DATABASE_URL": database_url}
        print(f"bench concurrency: {vendor}, building the data", file=sys.stderr)
        data, cookies = build(venv, args.conc_members)
        for processes in args.conc_processes:
            print(f"bench concurrency: {vendor}, {processes} daphne", file=sys.stderr)
            row = layout(venv, data, cookies, processes, args, workdir)
            rows.append({"database": vendor, **row})
    return {"measured": True, "size": SIZE, "mix": MIX, "rows": rows}


def markdown(result: dict) -> list[str]:
    if not result.get("measured"):
        return [f"HTTP under concurrency: {result.get('reason', 'not measured')}", ""]
    lines = [
        "## HTTP under concurrency (signed-in members browsing, round-robin proxy in front)",
        "",
        "| database | daphne processes | members | requests/s | p50 ms | p95 ms | bad "
        "| daphne CPU ms / request | share of a core per process | proxy CPU ms / request "
        "| RSS MB per process | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['database']} | {row['processes']} | {row['members']} "
            f"| {row['throughput_rps']} | {row['p50_ms']} | {row['p95_ms']} | {row['bad']} "
            f"| {row['daphne_cpu_ms_per_request']} "
            f"| {', '.join(str(s) for s in row['daphne_core_share'])} "
            f"| {row['proxy_cpu_ms_per_request']} "
            f"| {', '.join(str(m) for m in row.get('daphne_rss_mb', []))} "
            f"| {' '.join(row['loadavg'])} |"
        )
    lines += ["", "| database | processes | " + " | ".join(k for k, _ in MIX) + " |"]
    lines.append("| --- | ---: |" + " ---: |" * len(MIX))
    for row in result["rows"]:
        cells = [
            f"{row['kinds'][k]['p50_ms']} / {row['kinds'][k]['p95_ms']} ({row['kinds'][k]['n']})"
            for k, _ in MIX
        ]
        lines.append(f"| {row['database']} | {row['processes']} | " + " | ".join(cells) + " |")
    lines += ["", "(p50 / p95 ms, and how many, per kind of request)", ""]
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("HTTP under concurrency (bench/concurrency.py)")
    group.add_argument("--conc-members", type=int, default=20, help="Members browsing (20).")
    group.add_argument("--conc-seconds", type=float, default=60.0, help="Measured (60 s).")
    group.add_argument("--conc-warmup", type=float, default=10.0, help="Not measured (10 s).")
    group.add_argument("--conc-processes", default="1,2", help="daphne processes (1,2).")
    group.add_argument("--conc-databases", default="sqlite,postgresql")
    group.add_argument("--conc-database", default="forum_storm_http", help="PostgreSQL db.")
    group.add_argument(
        "--conc-ports", default="18420,18421,18422", help="The proxy, then daphne ports."
    )


def finish_arguments(args) -> None:
    if isinstance(args.conc_processes, str):
        args.conc_processes = [int(n) for n in args.conc_processes.split(",")]
    if isinstance(args.conc_databases, str):
        args.conc_databases = [d for d in args.conc_databases.split(",") if d]
    if isinstance(args.conc_ports, str):
        args.conc_ports = [int(p) for p in args.conc_ports.split(",")]
    if not getattr(args, "conc_database_url", None):
        args.conc_database_url = (
            getattr(args, "database_url", None) or "postgres://postgres@127.0.0.1:5432/postgres"
        )


def main(argv: list[str]) -> int:
    if argv[:1] == ["proxy"]:
        asyncio.run(_proxy(int(argv[1]), [int(p) for p in argv[2:]]))
        return 0
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
    workdir = Path(tempfile.mkdtemp(prefix="forum-conc-"))
    result = run(args, base_env(), workdir)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print("\n".join(markdown(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
