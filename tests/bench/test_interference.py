"""bench/interference.py's report: the verdict follows the p95 slowdown against the target."""

from __future__ import annotations

from bench import interference
from bench.run import parse_args


def _run(slowdown_p95: float) -> dict:
    return {
        "page": "/spaces/s/threads/1/",
        "body_case": "reference links",
        "body_chars": 19_996,
        "body_render_cpu_ms": 150.0,
        "alone": {"n": 40, "median_ms": 50.0, "p95_ms": 80.0},
        "during_posts": {"n": 40, "median_ms": 90.0, "p95_ms": 80.0 + slowdown_p95},
        "slowdown_median_ms": 40.0,
        "slowdown_p95_ms": slowdown_p95,
        "target_ms": interference.TARGET_MS,
        "posts": {"n": 12, "status": [302], "median_ms": 400.0},
    }


def test_the_report_says_met_or_missed_for_each_mode():
    table = interference.markdown(
        {"runs": {"in_process": _run(250.0), "worker": _run(60.0)}, "machine": {}}
    )
    in_process, worker = (line for line in table.splitlines() if line.startswith("| render in"))
    assert "request's thread" in in_process and "missed" in in_process
    assert "worker process" in worker and "| met" in worker


def test_the_option_is_known_to_run_py():
    assert parse_args(["--render-interference", "--quick"]).render_interference
