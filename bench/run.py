"""One entry point for the benchmarks (`make bench`, see bench/README.md).

1. Builds a fresh database (a SQLite file in a temp dir, or ``<db>_bench`` on the PostgreSQL
   server named by ``DATABASE_URL``), migrates it, runs ``seed_demo`` and ``generate_data``.
2. Starts daphne on a free loopback port with ``bench.settings`` (query counting and the
   baseline views switched on), signs in as the member ``generate_data`` names, and requests
   every page and its baseline in turn, interleaved, so both see the same machine load.
3. Writes JSON and a Markdown table, with the machine and versions, to bench/results/.

4. With ``--live`` (or ``--live-only``): live delivery on two daphne processes, Redis and
   PostgreSQL, against a bare channels broadcast and a raw ``websockets`` server (bench/live.py).

5. With ``--render``: only the render time of pathological post bodies (bench/render.py), no
   database or server.

6. With ``--join-storm``: only the 400-member join storm on two daphne processes, Redis and
   PostgreSQL (bench/joinstorm.py). With ``--concurrency``: only 20 members browsing at once
   against one and two daphne processes, on SQLite and PostgreSQL (bench/concurrency.py).
   Both write their own results (``…-joinstorm``, ``…-concurrency``) to bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import concurrency, joinstorm  # noqa: E402

PY = sys.executable
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PASSWORD = "peer-forum-demo"

FULL = {
    "members": 2000,
    "spaces": 20,
    "threads": 20000,
    "posts": 200000,
    "big_thread_posts": 5000,
    "live_sessions": 50,
    "live_events": 100000,
}
QUICK = {
    "members": 200,
    "spaces": 5,
    "threads": 1000,
    "posts": 10000,
    "big_thread_posts": 1000,
    "live_sessions": 5,
    "live_events": 5000,
}
TARGETS = {"queries": 15, "p95_ms": 150.0, "ratio": 3.0, "ratio_p95": 3.0, "spirit_ratio": 0.5}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="A small data set and few requests.")
    for name, value in FULL.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None, help=f"{value}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="daphne's port (default: a free one).")
    parser.add_argument("--requests", type=int, default=None, help="Measured requests per page.")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server to use (a dedicated <name>_bench database is created there).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the SQLite file afterwards.")
    parser.add_argument(
        "--reuse",
        default="",
        metavar="DATABASE_URL=JSON",
        help="Measure an already generated database: its URL, '=', a file holding the JSON line "
        "generate_data printed (skips building; migrations are applied).",
    )
    parser.add_argument("--label", default="", help="A note stored with the results.")
    parser.add_argument(
        "--pages",
        default="",
        help="Only these pages, comma-separated: space, first, last, search, home, notifications.",
    )
    parser.add_argument(
        "--search-query",
        action="append",
        default=[],
        metavar="QUERY",
        help="Search for this instead of generate_data's query; repeat for one search page each.",
    )
    ref = parser.add_argument_group("Spirit reference (bench/spirit/)")
    ref.add_argument(
        "--spirit",
        action="store_true",
        help="Also time Spirit 0.14's topic page on the same thread, first and last page, "
        "interleaved with the forum's (its own venv, database and daphne).",
    )
    ref.add_argument(
        "--spirit-venv",
        default=None,
        help="The Spirit venv (default $SPIRIT_VENV, else bench/spirit/.venv); created with pip "
        "if it has no Spirit.",
    )
    ref.add_argument(
        "--spirit-database-url",
        default="",
        help="Spirit's database, dropped and recreated (default: spirit.sqlite3 in the work dir "
        "on SQLite, <forum database>_spirit on the forum's PostgreSQL server).",
    )
    ref.add_argument("--spirit-port", type=int, default=0, help="Spirit's daphne port.")
    render = parser.add_argument_group("render time (bench/render.py)")
    render.add_argument(
        "--render", action="store_true", help="Only the render time of pathological bodies."
    )
    render.add_argument("--render-repeat", type=int, default=5, help="Renders per case (5).")
    render.add_argument(
        "--render-interference",
        action="store_true",
        help="Only: a page view while another member posts the worst body (bench/interference.py).",
    )
    render.add_argument(
        "--render-port",
        type=int,
        default=0,
        help="--render-interference: daphne's port for the first run, the next for the second "
        "(default: any free port).",
    )
    live = parser.add_argument_group("live delivery (bench/live.py)")
    live.add_argument("--live", action="store_true", help="Also measure live delivery.")
    live.add_argument("--live-only", action="store_true", help="Only live delivery.")
    live.add_argument(
        "--live-clients", default=None, help="Client counts, comma-separated (100,200,400)."
    )
    live.add_argument("--live-messages", type=int, default=None, help="Per run (300; 100 quick).")
    live.add_argument("--live-rate", type=float, default=10.0, help="Messages per second in all.")
    live.add_argument(
        "--live-block", type=int, default=50, help="Messages per turn of each stack (50)."
    )
    live.add_argument("--live-storm", type=int, default=500, help="Clients in the connect storm.")
    live.add_argument("--live-catch-up", type=int, default=500, help="Messages to catch up on.")
    live.add_argument(
        "--soak-seconds", type=float, default=None, help="Idle soak (120; 10 quick; 0 skips)."
    )
    live.add_argument(
        "--live-lean",
        action="store_true",
        help="Also a channels floor without the per-message close_old_connections hop.",
    )
    live.add_argument(
        "--live-large", type=int, default=1000, help="Clients in the large room (1000; 0 skips)."
    )
    live.add_argument(
        "--live-large-rate", type=float, default=5.0, help="Messages per second there (5)."
    )
    live.add_argument(
        "--live-large-messages", type=int, default=None, help="Messages there (100; 50 quick)."
    )
    live.add_argument(
        "--live-database-name",
        default=os.environ.get("BENCH_LIVE_DATABASE"),
        help="The database the live bench drops and recreates (<name>_bench_live; or "
        "BENCH_LIVE_DATABASE), so two people's runs on one server do not collide.",
    )
    live.add_argument("--no-live-raw", dest="live_raw", action="store_false")
    live.add_argument("--no-live-faults", dest="live_faults", action="store_false")
    parser.add_argument(
        "--join-storm", action="store_true", help="Only the join storm (bench/joinstorm.py)."
    )
    parser.add_argument(
        "--concurrency",
        action="store_true",
        help="Only HTTP under concurrency (bench/concurrency.py).",
    )
    joinstorm.add_arguments(parser)
    concurrency.add_arguments(parser)
    args = parser.parse_args(argv)
    joinstorm.finish_arguments(args)
    concurrency.finish_arguments(args)
    args.live = args.live or args.live_only
    args.live_clients = [
        int(n)
        for n in (args.live_clients or ("100,200" if args.quick else "100,200,400")).split(",")
    ]
    if args.live_messages is None:
        args.live_messages = 100 if args.quick else 300
    if args.live_large_messages is None:
        args.live_large_messages = 50 if args.quick else 100
    if args.soak_seconds is None:
        args.soak_seconds = 10.0 if args.quick else 120.0
    args.live_database_url = args.database_url or "postgres://postgres@127.0.0.1:5432/forum"
    base = QUICK if args.quick else FULL
    for name, value in base.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.requests is None:
        args.requests = 15 if args.quick else 40
    return args


# Database ------------------------------------------------------------------------------------


def prepare_database(args: argparse.Namespace, workdir: Path) -> tuple[str, str]:
    """A fresh, empty database: returns (DATABASE_URL, vendor)."""
    if not args.database_url or args.database_url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'bench.sqlite3'}", "sqlite"
    import psycopg

    url = urllib.parse.urlsplit(args.database_url)
    name = (url.path.lstrip("/") or "forum") + "_bench"
    if not re.fullmatch(r"\w+", name):
        raise SystemExit(f"Unexpected database name {name!r}.")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url._replace(path=f"/{name}").geturl(), "postgresql"


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_QUERY_COUNT": "1",
            "BENCH_BASELINE": "1",
            # Production-like: DEBUG off (no query log, cached templates), plain HTTP on loopback.
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


def manage(env: dict[str, str], *argv: str, capture: bool = False) -> str:
    proc = subprocess.run(
        [PY, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return proc.stdout or ""


def generate(args: argparse.Namespace, env: dict[str, str], vendor: str) -> tuple[dict, dict]:
    timings = {}
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v", "0")
    timings["migrate_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    manage(env, "seed_demo", "--force")
    timings["seed_demo_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    options = []
    for name in FULL:
        options += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    out = manage(env, "generate_data", *options, "--seed", str(args.seed), capture=True)
    timings["generate_data_s"] = round(time.monotonic() - started, 1)
    data = json.loads(out.strip().splitlines()[-1])
    if vendor == "postgresql":
        # After a bulk load autovacuum would analyze these tables within a minute; do it now so
        # the planner sees the real sizes, as it would in production.
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return data, timings


# Server and client ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_daphne(
    env: dict[str, str],
    port: int,
    log: Path,
    daphne: Path | None = None,
    app: str = "community.asgi:application",
) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(daphne or Path(PY).parent / "daphne"), "-b", HOST, "-p", str(port), app],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daphne exited early; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"daphne did not answer /healthz; see {log}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """A signed-in browser on one keep-alive connection, cookies kept by hand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        elapsed = time.perf_counter() - started
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response, content, elapsed

    def login(self, email: str, password: str) -> None:
        _, page, _ = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            raise SystemExit("No CSRF token on the sign-in page.")
        form = urllib.parse.urlencode(
            {"login": email, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        )
        response, _, _ = self.request(
            "POST",
            "/accounts/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{HOST}:{self.port}/accounts/login/",
            },
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"Sign-in as {email} failed (HTTP {response.status}).")


# Spirit reference (bench/spirit/) -----------------------------------------------------------


def spirit_database_url(args: argparse.Namespace, database_url: str, workdir: Path) -> str:
    if args.spirit_database_url:
        return args.spirit_database_url
    if database_url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'spirit.sqlite3'}"
    url = urllib.parse.urlsplit(database_url)
    return url._replace(path=url.path + "_spirit").geturl()


def spirit_env(spirit_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.spirit.settings",
            "SPIRIT_DATABASE_URL": spirit_url,
            "SPIRIT_WORKDIR": str(workdir),
            "BENCH_QUERY_COUNT": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def prepare_spirit(args, database_url: str, data_file: Path, workdir: Path):
    """Spirit's venv, a fresh Spirit database loaded from the forum's: (venv, env, load JSON)."""
    from bench.spirit import venv

    path = venv.ensure(Path(args.spirit_venv) if args.spirit_venv else None)
    env = spirit_env(spirit_database_url(args, database_url, workdir), workdir)
    out = subprocess.run(
        [str(path / "bin" / "python"), "-m", "bench.spirit.load", "--source", database_url,
         "--data", str(data_file)],
        cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE,
    ).stdout  # fmt: skip
    return path, env, json.loads(out.strip().splitlines()[-1])


def spirit_login(client: Client, email: str, password: str) -> None:
    """Spirit's sign-in form: ``username`` (or e-mail) and ``password``."""
    _, page, _ = client.request("GET", "/user/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise SystemExit("No CSRF token on Spirit's sign-in page.")
    form = urllib.parse.urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
    )
    response, _, _ = client.request(
        "POST",
        "/user/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{HOST}:{client.port}/user/login/",
        },
    )
    if response.status != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"Spirit sign-in as {email} failed (HTTP {response.status}).")


def spirit_pages(load: dict) -> dict[str, str]:
    """Forum page name -> Spirit path, for the pages both have."""
    path = load["topic_path"]
    return {
        "Big thread, first page": path,
        "Big thread, last page": f"{path}?page={load['topic_last_page']}",
    }


# Measuring -----------------------------------------------------------------------------------


def pages_for(data: dict, only: str = "", queries: list[str] | None = None) -> list:
    """(name, forum path, baseline path) for each page measured; ``only``: comma-separated keys
    (space, first, last, search, home, notifications); ``queries``: one search page each."""
    big, big_id, last = data["big_thread_path"], data["big_thread_id"], data["big_thread_last_page"]
    slug = data.get("space_slug", "safe-spaces")
    searches = []
    for text in queries or [data.get("search_query", "reverse mentoring")]:
        query = urllib.parse.quote_plus(text)
        name = "Search" if not queries else f"Search “{text}”"
        searches.append(
            ("search", name, f"/search/?q={query}", f"/bench/baseline/search/?q={query}")
        )
    pages = [
        ("space", "Space thread list", data.get("space_path", f"/spaces/{slug}/"), f"/bench/baseline/space/{slug}/"),
        ("first", "Big thread, first page", big, f"/bench/baseline/thread/{big_id}/"),
        ("last", "Big thread, last page", f"{big}?page={last}", f"/bench/baseline/thread/{big_id}/?page={last}"),
        *searches,
        ("home", "Home", "/", "/bench/baseline/home/"),
        ("notifications", "Notifications", "/notifications/", "/bench/baseline/notifications/"),
    ]  # fmt: skip
    keys = {key.strip() for key in only.split(",") if key.strip()}
    unknown = keys - {page[0] for page in pages}
    if unknown:
        known = ", ".join(dict.fromkeys(page[0] for page in pages))
        raise SystemExit(f"--pages: unknown {', '.join(sorted(unknown))}; one of {known}.")
    return [(name, page, base) for key, name, page, base in pages if not keys or key in keys]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def summarise(samples: list[tuple[int, float, int | None, int]]) -> dict:
    times = [s[1] * 1000 for s in samples]
    queries = [s[2] for s in samples if s[2] is not None]
    return {
        "n": len(samples),
        "status": sorted({s[0] for s in samples}),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": int(statistics.median(queries)) if queries else None,
        "queries_min": min(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
        "bytes": int(statistics.median(s[3] for s in samples)),
    }


def measure_pages(
    client: Client,
    pages,
    requests: int,
    warmup: int,
    pid: int,
    spirit: tuple[Client, dict[str, str], int] | None = None,
) -> dict:
    """Each page, its baseline and (with ``spirit``: its client, page name -> path, its
    daphne's pid) Spirit's page, one after another in each round, the order rotating so none
    always goes first."""

    def hit(who: Client, path: str):
        response, content, elapsed = who.request("GET", path)
        count = response.getheader("X-Query-Count")
        return response.status, elapsed, int(count) if count else None, len(content)

    def kinds(name: str, page: str, baseline: str) -> list[tuple[str, Client, str]]:
        order = [("page", client, page), ("baseline", client, baseline)]
        if spirit and name in spirit[1]:
            order.append(("spirit", spirit[0], spirit[1][name]))
        return order

    for _ in range(warmup):
        for name, page, baseline in pages:
            for _, who, path in kinds(name, page, baseline):
                hit(who, path)
    samples = {name: {"page": [], "baseline": [], "spirit": []} for name, _, _ in pages}
    cpu_before = cpu_seconds(pid)
    spirit_cpu_before = cpu_seconds(spirit[2]) if spirit else 0.0
    for round_ in range(requests):
        for name, page, baseline in pages:
            order = kinds(name, page, baseline)
            shift = round_ % len(order)
            for kind, who, path in order[shift:] + order[:shift]:
                samples[name][kind].append(hit(who, path))
    cpu_total = cpu_seconds(pid) - cpu_before
    results = {}
    for name, page, baseline in pages:
        forum, base = summarise(samples[name]["page"]), summarise(samples[name]["baseline"])
        results[name] = {
            "path": page,
            "baseline_path": baseline,
            "forum": forum,
            "baseline": base,
            "ratio_median": round(forum["median_ms"] / max(base["median_ms"], 0.01), 2),
            "ratio_p95": round(forum["p95_ms"] / max(base["p95_ms"], 0.01), 2),
        }
        if samples[name]["spirit"]:
            ref = summarise(samples[name]["spirit"])
            results[name].update(
                spirit_path=spirit[1][name],
                spirit=ref,
                ratio_spirit_median=round(forum["median_ms"] / max(ref["median_ms"], 0.01), 2),
                ratio_spirit_p95=round(forum["p95_ms"] / max(ref["p95_ms"], 0.01), 2),
            )
    total_requests = requests * len(pages) * 2
    out = {
        "pages": results,
        "server_cpu_ms_per_request": round(cpu_total * 1000 / total_requests, 2),
    }
    if spirit:
        spirit_requests = requests * len(spirit[1])
        out["spirit_cpu_ms_per_request"] = round(
            (cpu_seconds(spirit[2]) - spirit_cpu_before) * 1000 / spirit_requests, 2
        )
    return out


def live_delivery(args: argparse.Namespace, workdir: Path) -> dict:
    """Live delivery on two daphne processes, Redis and PostgreSQL (bench/live.py)."""
    if not args.live:
        return {"measured": False, "reason": "not run (pass --live or --live-only)."}
    sys.path.insert(0, str(ROOT))
    from bench import live

    return live.run(args, server_env(""), workdir)


# Report --------------------------------------------------------------------------------------


def machine(database_url: str, vendor: str) -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_end": os.getloadavg(),
        "database": vendor,
        "sqlite": sqlite3.sqlite_version,
    }
    for package in (
        "Django",
        "daphne",
        "channels",
        "channels-redis",
        "redis",
        "websockets",
        "psycopg",
        "django-allauth",
    ):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = None
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(database_url) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return info


def markdown(result: dict) -> str:
    m = result["machine"]
    if "http" not in result:
        from bench import live

        lines = [f"# Forum benchmark, {result['started']} (live delivery only)", ""]
        lines += live.markdown(result["live"])
        lines += ["Machine: " + ", ".join(f"{k} {v}" for k, v in m.items() if v is not None), ""]
        return "\n".join(lines)
    size = result["size"]
    lines = [
        f"# Forum benchmark, {result['started']} ({m['database']})",
        "",
        f"Data: {size['members']:,} members, 5 + {size['spaces']} spaces, {size['threads']:,} "
        f"threads, {size['posts']:,} posts (one thread of {size['big_thread_posts']:,}), "
        f"{size['live_sessions']} live sessions with {size['live_events']:,} events; "
        f"seed {size['seed']}. Generated in {result['timings']['generate_data_s']} s.",
        f"Requests: {result['requests']} per page and per baseline, interleaved, after "
        f"{result['warmup']} warm-up rounds; one signed-in client over loopback, one daphne.",
        "",
        "| page | status | queries | median ms | p95 ms | baseline queries | baseline median ms "
        "| baseline p95 ms | ratio (median) | ratio (p95) | targets |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in result["http"]["pages"].items():
        f, b = r["forum"], r["baseline"]
        misses = []
        if f["queries"] is None or f["queries"] > TARGETS["queries"]:
            misses.append("queries")
        if f["p95_ms"] > TARGETS["p95_ms"]:
            misses.append("p95")
        if r["ratio_median"] > TARGETS["ratio"]:
            misses.append("ratio")
        if f["status"] != [200]:
            misses.append("status")
        queries = f"{f['queries']}" + (
            f" ({f['queries_min']}–{f['queries_max']})"
            if f["queries_min"] != f["queries_max"]
            else ""
        )
        lines.append(
            f"| {name} | {','.join(map(str, f['status']))} | {queries} | {f['median_ms']} | "
            f"{f['p95_ms']} | {b['queries']} | {b['median_ms']} | {b['p95_ms']} | "
            f"{r['ratio_median']} | {r['ratio_p95']} | "
            f"{'met' if not misses else 'missed: ' + ', '.join(misses)} |"
        )
    lines += [
        "",
        f"Server CPU per request (forum and baseline together): "
        f"{result['http']['server_cpu_ms_per_request']} ms.",
        f"Targets: at most {TARGETS['queries']} queries, p95 under {TARGETS['p95_ms']:.0f} ms, "
        f"ratio to the baseline under {TARGETS['ratio']:.0f}. Issue 17: every page's p95 at most "
        f"{TARGETS['ratio_p95']:.0f}× its baseline's: "
        + ", ".join(
            f"{name} {r['ratio_p95']} ({'met' if r['ratio_p95'] <= TARGETS['ratio_p95'] else 'missed'})"
            for name, r in result["http"]["pages"].items()
        )
        + ".",
        "",
    ]
    spirit_rows = {n: r for n, r in result["http"]["pages"].items() if "spirit" in r}
    if spirit_rows:
        load = result.get("spirit_load", {})
        lines += [
            f"Spirit 0.14 on the same thread ({load.get('topic_comments')} comments, "
            f"{load.get('comments_per_page')} per page, {load.get('members')} members; "
            "bench/spirit/), signed in as the same member, its own daphne, interleaved with the "
            "forum's requests. Issue 17: the forum's median at most "
            f"{TARGETS['spirit_ratio']}× Spirit's.",
            "",
            "| page | forum median / p95 ms | Spirit queries | Spirit median / p95 ms "
            "| ratio (median) | ratio (p95) | target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name, r in spirit_rows.items():
            f, sp = r["forum"], r["spirit"]
            ok = r["ratio_spirit_median"] <= TARGETS["spirit_ratio"] and sp["status"] == [200]
            lines.append(
                f"| {name} | {f['median_ms']} / {f['p95_ms']} | {sp['queries']} | "
                f"{sp['median_ms']} / {sp['p95_ms']} | {r['ratio_spirit_median']} | "
                f"{r['ratio_spirit_p95']} | {'met' if ok else 'missed'} |"
            )
        lines += [
            "",
            f"Spirit's server CPU per request: {result['http'].get('spirit_cpu_ms_per_request')} ms.",
            "",
        ]
    if result["live"].get("measured"):
        from bench import live

        lines += live.markdown(result["live"])
    else:
        lines += [f"Live delivery: {result['live'].get('reason', 'see JSON')}", ""]
    lines += [
        "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items() if v is not None),
        "",
    ]
    return "\n".join(lines)


def render_interference(args: argparse.Namespace, workdir: Path, started: str) -> int:
    """bench/interference.py on a fresh database and one daphne process."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    from bench import interference

    database_url, vendor = prepare_database(args, workdir)
    env = server_env(database_url)
    print(f"bench: {vendor} database, work files in {workdir}", file=sys.stderr)
    data, _ = generate(args, env, vendor)
    result: dict = {"started": started, "label": args.label, "runs": {}}
    # The same database and clients, rendering in the request's thread and then in the worker.
    for index, (mode, worker) in enumerate((("in_process", "0"), ("worker", "1"))):
        port = args.render_port + index if args.render_port else free_port()
        daphne = start_daphne(env | {"RENDER_WORKER": worker}, port, workdir / f"daphne-{mode}.log")
        try:
            result["runs"][mode] = interference.measure(
                Client, port, data["member_email"], PASSWORD, data, args
            )
        finally:
            stop(daphne)
    result["machine"] = machine(database_url, vendor)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{started.replace(':', '')}-{vendor}-interference"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
    table = interference.markdown(result)
    (RESULTS / f"{stem}.md").write_text(table)
    print(table)
    print(f"bench: results in {RESULTS / stem}.{{json,md}}", file=sys.stderr)
    if vendor == "sqlite" and not args.keep:
        for path in workdir.glob("bench.sqlite3*"):
            path.unlink()
    return 0


def standalone(args: argparse.Namespace, workdir: Path, started: str) -> int:
    """``--join-storm`` / ``--concurrency``: each on its own databases and ports."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.replace(":", "")
    env = joinstorm.base_env()
    for flag, module, name in (
        (args.join_storm, joinstorm, "joinstorm"),
        (args.concurrency, concurrency, "concurrency"),
    ):
        if not flag:
            continue
        result = {"started": started, "label": args.label, **module.run(args, env, workdir)}
        server = urllib.parse.urlsplit(args.live_database_url)._replace(path="/postgres")
        result["machine"] = machine(server.geturl(), "postgresql")
        (RESULTS / f"{stamp}-{name}.json").write_text(json.dumps(result, indent=2, default=str))
        table = "\n".join(module.markdown(result))
        (RESULTS / f"{stamp}-{name}.md").write_text(table)
        print(table)
        print(f"bench: results in {RESULTS / stamp}-{name}.{{json,md}}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        sys.path.insert(0, str(ROOT))
        from bench import render

        return render.main(["--repeat", str(args.render_repeat)])
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    if args.render_interference:
        return render_interference(args, workdir, started)
    if args.join_storm or args.concurrency:
        return standalone(args, workdir, started)
    result: dict = {"started": started, "label": args.label, "targets": TARGETS}
    vendor = "postgresql"
    database_url = urllib.parse.urlsplit(args.live_database_url)._replace(path="/postgres").geturl()
    if not args.live_only and args.reuse:
        database_url, _, data_file = args.reuse.rpartition("=")
        vendor = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        env = server_env(database_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        data = json.loads(Path(data_file).read_text().strip().splitlines()[-1])
        data_file = Path(data_file)
        timings = {"generate_data_s": "reused"}
        args.keep = True
    elif not args.live_only:
        database_url, vendor = prepare_database(args, workdir)
        env = server_env(database_url)
        print(f"bench: {vendor} database, work files in {workdir}", file=sys.stderr)
        data, timings = generate(args, env, vendor)
        data_file = workdir / "generate_data.json"
        data_file.write_text(json.dumps(data))
    if not args.live_only:
        spirit = spirit_daphne = None
        if args.spirit:
            started_load = time.monotonic()
            spirit_venv, sp_env, spirit_load = prepare_spirit(
                args, database_url, data_file, workdir
            )
            timings["spirit_load_s"] = round(time.monotonic() - started_load, 1)
            result["spirit_load"] = spirit_load
            print(f"bench: Spirit database {sp_env['SPIRIT_DATABASE_URL']}", file=sys.stderr)
        port = args.port or free_port()
        daphne = start_daphne(env, port, workdir / "daphne.log")
        try:
            client = Client(port)
            client.login(data["member_email"], PASSWORD)
            if args.spirit:
                spirit_port = args.spirit_port or free_port()
                spirit_daphne = start_daphne(
                    sp_env,
                    spirit_port,
                    workdir / "spirit-daphne.log",
                    daphne=spirit_venv / "bin" / "daphne",
                    app="bench.spirit.asgi:application",
                )
                spirit_client = Client(spirit_port)
                spirit_login(spirit_client, data["member_email"], PASSWORD)
                spirit = (spirit_client, spirit_pages(spirit_load), spirit_daphne.pid)
            http_results = measure_pages(
                client,
                pages_for(data, args.pages, args.search_query),
                args.requests,
                args.warmup,
                daphne.pid,
                spirit,
            )
        finally:
            stop(daphne)
            if spirit_daphne is not None:
                stop(spirit_daphne)
        result.update(
            size={name: getattr(args, name) for name in FULL} | {"seed": args.seed},
            requests=args.requests,
            warmup=args.warmup,
            timings=timings,
            generate_data=data,
            http=http_results,
        )
    result["live"] = live_delivery(args, workdir)
    result["machine"] = machine(database_url, vendor)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-live" if args.live_only else ("-quick" if args.quick else "")
    stem = f"{started.replace(':', '')}-{vendor}{suffix}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
    table = markdown(result)
    (RESULTS / f"{stem}.md").write_text(table)
    print(table)
    print(f"bench: results in {RESULTS / stem}.{{json,md}}", file=sys.stderr)
    if vendor == "sqlite" and not args.keep:
        for path in workdir.glob("bench.sqlite3*"):
            path.unlink()
    for path in workdir.glob("spirit.sqlite3*"):  # rebuilt by every --spirit run
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
