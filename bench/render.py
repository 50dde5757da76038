"""Render time of pathological post bodies (bench/render_corpus.py) through
community.rendering.render_markdown: per case and the worst, at the body limit and at half of it.

Run it alone (``.venv/bin/python bench/render.py``) or as ``bench/run.py --render``. No database
and no server: the renderer is a pure function.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.render_corpus import BODY_MAX, corpus  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_MS = 50.0


def best_of(render, body: str, repeat: int) -> tuple[float, float]:
    """(CPU ms, wall ms): the fastest of ``repeat`` renders of each, the least disturbed by other
    load. CPU time (``process_time``) is the renderer's own cost; wall time adds the waits of a
    busy machine."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        render(body)
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started_wall)
    return cpu * 1000, wall * 1000


def run(size: int = BODY_MAX, repeat: int = 5, only: str = "") -> dict:
    from community.rendering import RENDERER_VERSION, render_markdown

    render_markdown("warm *up* https://example.org")
    cases = []
    half = dict(corpus(size // 2))
    for name, body in corpus(size):
        if only and only.lower() not in name.lower():
            continue
        full_ms, full_wall_ms = best_of(render_markdown, body, repeat)
        half_ms, _ = best_of(render_markdown, half[name], repeat)
        cases.append(
            {
                "case": name,
                "chars": len(body),
                "ms": round(full_ms, 2),
                "wall_ms": round(full_wall_ms, 2),
                "half_chars": len(half[name]),
                "half_ms": round(half_ms, 2),
                "growth": round(full_ms / max(half_ms, 0.001), 2),
                "html_bytes": len(render_markdown(body)),
            }
        )
    worst = max(cases, key=lambda c: c["ms"]) if cases else None
    versions = {}
    for package in ("markdown-it-py", "linkify-it-py", "bleach"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "size": size,
        "repeat": repeat,
        "renderer_version": RENDERER_VERSION,
        "target_ms": TARGET_MS,
        "cases": cases,
        "worst": worst,
        "machine": {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "loadavg": os.getloadavg(),
            **versions,
        },
    }


def markdown(result: dict) -> list[str]:
    lines = [
        f"Render time (CPU ms, best of {result['repeat']}), renderer version "
        f"{result['renderer_version']} (target: every body under {result['target_ms']:.0f} ms)",
        "",
        "| case | chars | CPU ms | wall ms | HTML bytes | half: chars | half: CPU ms "
        "| growth (2× input) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in sorted(result["cases"], key=lambda c: -c["ms"]):
        name = c["case"].replace("|", "\\|")  # A Markdown table cell cannot hold a bare "|".
        lines.append(
            f"| {name} | {c['chars']:,} | {c['ms']} | {c['wall_ms']} | {c['html_bytes']:,} "
            f"| {c['half_chars']:,} | {c['half_ms']} | {c['growth']} |"
        )
    worst = result["worst"]
    if worst:
        met = "met" if worst["ms"] < result["target_ms"] else "missed"
        lines += [
            "",
            f"Worst: {worst['case']!r}, {worst['chars']:,} characters in {worst['ms']} ms CPU "
            f"({met}); {sum(c['ms'] < result['target_ms'] for c in result['cases'])} of "
            f"{len(result['cases'])} cases under the target. Largest growth: "
            + ", ".join(
                f"{c['case']!r} ×{c['growth']}"
                for c in sorted(result["cases"], key=lambda c: -c["growth"])[:3]
            )
            + ".",
        ]
    lines += ["", "Machine: " + ", ".join(f"{k} {v}" for k, v in result["machine"].items()), ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=BODY_MAX, help="Body size (20,000).")
    parser.add_argument("--repeat", type=int, default=5, help="Renders per case; best kept.")
    parser.add_argument("--case", default="", help="Only cases whose name contains this.")
    parser.add_argument("--no-save", action="store_true", help="Do not write bench/results/.")
    args = parser.parse_args(argv)
    result = run(args.size, args.repeat, args.case)
    result["started"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    table = "\n".join(markdown(result))
    print(table)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = f"{result['started'].replace(':', '')}-render"
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2))
        (RESULTS / f"{stem}.md").write_text(table)
        print(f"bench: results in {RESULTS / stem}.{{json,md}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
