"""Profile one page in process (cProfile), on a database ``generate_data`` filled.

    DATABASE_URL=sqlite:////tmp/full.sqlite3 .venv/bin/python bench/profile_pages.py \
        --data generate_data.json --page first --repeat 20

Prints the wall and CPU time per request, SQL time per request, and the top functions by
cumulative and own time. The member is signed in with ``force_login`` (no password hashing);
the first request of each page is a warm-up and not profiled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("MFA_REQUIRED_FOR_ROLES", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "ERROR")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="generate_data's JSON line, in a file.")
    parser.add_argument("--page", choices=["first", "last", "home", "search", "space"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--no-profile", action="store_true", help="Only time the requests (p50 / p95)."
    )
    parser.add_argument("--query", default=None, help="The search query (generate_data's).")
    parser.add_argument("--sql", action="store_true", help="Also each query's time (last run).")
    parser.add_argument("--no-cache", action="store_true", help="Clear the card cache each time.")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import User

    settings.ALLOWED_HOSTS = ["*"]
    data = json.loads(Path(args.data).read_text().strip().splitlines()[-1])
    path = {
        "first": data["big_thread_path"],
        "last": f"{data['big_thread_path']}?page={data['big_thread_last_page']}",
        "home": "/",
        "search": "/search/?q="
        + (args.query or data.get("search_query", "reverse mentoring")).replace(" ", "+"),
        "space": data.get("space_path", "/spaces/safe-spaces/"),
    }[args.page]
    client = Client()
    client.force_login(User.objects.get(email=data["member_email"]))

    def clear():
        if args.no_cache:
            for alias in settings.CACHES:
                caches[alias].clear()

    clear()
    assert client.get(path).status_code == 200
    profiler = cProfile.Profile()
    wall = cpu = sql = 0.0
    queries = 0
    walls = []
    for _ in range(args.repeat):
        clear()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            w, c = time.perf_counter(), time.process_time()
            if not args.no_profile:
                profiler.enable()
            response = client.get(path)
            if not args.no_profile:
                profiler.disable()
            walls.append(time.perf_counter() - w)
            wall += walls[-1]
            cpu += time.process_time() - c
        assert response.status_code == 200
        queries = len(captured.captured_queries)
        sql += sum(float(q["time"]) for q in captured.captured_queries)
    n = args.repeat
    print(
        f"{args.page} {path}: wall {wall * 1000 / n:.1f} ms, cpu {cpu * 1000 / n:.1f} ms, "
        f"sql {sql * 1000 / n:.1f} ms in {queries} queries per request "
        f"(loadavg {Path('/proc/loadavg').read_text().split()[:3]})"
    )
    walls.sort()
    p95 = walls[max(math.ceil(0.95 * n) - 1, 0)]
    print(f"wall p50 {statistics.median(walls) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    if args.sql:
        for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"])):
            print(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:2000]}")
        print()
    if args.no_profile:
        return 0
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
