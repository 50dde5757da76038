"""A member's page view while another member posts the worst body of the render corpus.

``bench/run.py --render-interference``: a fresh database (``--quick`` sizes unless sizes are
given), one daphne, two signed-in clients over loopback. The reader fetches the big thread's
first page ``--requests`` times alone, then as many times while the poster sends replies of the
slowest body of bench/render_corpus.py back to back (alternating quiet and busy rounds, so both
see the same machine). Reported: median and p95 of the page view in each, their difference
(target: at most 100 ms, issue 13) and the poster's own reply times. bench/run.py measures
twice on the same database: daphne as deployed (``RENDER_WORKER=0``, long bodies render in the
request's thread) and with ``RENDER_WORKER=1`` (in the opt-in render worker process).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import urllib.parse

from bench.render_corpus import BODY_MAX, corpus

TARGET_MS = 100.0


def worst_body() -> tuple[str, str, float]:
    """(case, body, CPU ms) of the slowest corpus body at the body limit."""
    from community.rendering import render_markdown

    worst = ("", "", -1.0)
    for name, body in corpus(BODY_MAX):
        started = time.process_time()
        render_markdown(body)
        elapsed = (time.process_time() - started) * 1000
        if elapsed > worst[2]:
            worst = (name, body, elapsed)
    return worst


def _reply_form(client, thread_path: str) -> tuple[str, str]:
    path = f"{thread_path}reply/"
    _, page, _ = client.request("GET", path)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise SystemExit(f"No reply form at {path}.")
    return path, match.group(1).decode()


def measure(client_class, port: int, member_email: str, password: str, data: dict, args) -> dict:
    from bench.run import HOST, percentile

    case, body, render_ms = worst_body()
    reader, poster = client_class(port), client_class(port)
    reader.login(member_email, password)
    poster.login(member_email, password)
    page = data["big_thread_path"]
    reply_path, token = _reply_form(poster, page)
    form = urllib.parse.urlencode({"body": body, "csrfmiddlewaretoken": token})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}:{port}{reply_path}",
    }
    posts: list[tuple[int, float]] = []
    busy = threading.Event()
    done = threading.Event()

    def post_forever() -> None:
        while not done.is_set():
            if not busy.wait(0.05):
                continue
            response, _, elapsed = poster.request("POST", reply_path, form, headers)
            posts.append((response.status, elapsed * 1000))

    worker = threading.Thread(target=post_forever, daemon=True)
    worker.start()
    for _ in range(args.warmup):
        reader.request("GET", page)
    quiet: list[float] = []
    loaded: list[float] = []
    rounds = max(args.requests // 10, 1)
    try:
        for _ in range(rounds):
            busy.clear()
            time.sleep(0.3)  # The poster's reply in flight finishes.
            for _ in range(10):
                _, elapsed = _get(reader, page)
                quiet.append(elapsed)
            busy.set()
            time.sleep(0.2)  # The poster is mid-reply when the reader starts.
            for _ in range(10):
                _, elapsed = _get(reader, page)
                loaded.append(elapsed)
    finally:
        done.set()
        busy.set()
        worker.join(30)

    def stats(values: list[float]) -> dict:
        return {
            "n": len(values),
            "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
        }

    alone, during = stats(quiet), stats(loaded)
    post_times = [ms for _, ms in posts]
    return {
        "page": page,
        "body_case": case,
        "body_chars": len(body),
        "body_render_cpu_ms": round(render_ms, 1),
        "alone": alone,
        "during_posts": during,
        "slowdown_median_ms": round(during["median_ms"] - alone["median_ms"], 1),
        "slowdown_p95_ms": round(during["p95_ms"] - alone["p95_ms"], 1),
        "target_ms": TARGET_MS,
        "posts": {
            "n": len(posts),
            "status": sorted({status for status, _ in posts}),
            "median_ms": round(statistics.median(post_times), 1) if post_times else None,
        },
    }


def _get(client, path: str) -> tuple[int, float]:
    response, _, elapsed = client.request("GET", path)
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}.")
    return response.status, elapsed * 1000


MODES = {"in_process": "render in the request's thread", "worker": "render in the worker process"}


def markdown(result: dict) -> str:
    runs = result["runs"]
    first = next(iter(runs.values()))
    lines = [
        f"Page view during another member's pathological post ({first['page']}; body "
        f"{first['body_case']!r}, {first['body_chars']:,} characters, "
        f"{first['body_render_cpu_ms']} ms CPU to render)",
        "",
        "| rendering | reader alone: median / p95 ms | during posts: median / p95 ms "
        "| slowdown median / p95 ms | replies | reply median ms | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for mode, run in runs.items():
        alone, during = run["alone"], run["during_posts"]
        verdict = "met" if run["slowdown_p95_ms"] <= run["target_ms"] else "missed"
        lines.append(
            f"| {MODES.get(mode, mode)} | {alone['median_ms']} / {alone['p95_ms']} "
            f"| {during['median_ms']} / {during['p95_ms']} "
            f"| {run['slowdown_median_ms']} / {run['slowdown_p95_ms']} "
            f"| {run['posts']['n']} (HTTP {run['posts']['status']}) | {run['posts']['median_ms']} "
            f"| {verdict} (at most {run['target_ms']:.0f} ms) |"
        )
    machine = result.get("machine", {})
    lines += ["", f"Load average at the end: {machine.get('loadavg_at_end')}."]
    return "\n".join(lines)
