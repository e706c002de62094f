"""The HTTP runner's summary (bench/run.py): figures as measured, never invented."""

from __future__ import annotations

from bench.run import Page, median_of, table


def _run(requests: int, p95: float) -> dict:
    return {
        "requests": requests,
        "rps": requests / 5,
        "bad": 0,
        "socket_errors": 0,
        "ms": {"p50": p95 / 2, "p95": p95, "p99": p95},
    }


def test_a_run_without_an_answer_is_not_counted_as_zero_milliseconds():
    """On a shared machine a starved server may answer nothing within a run; wrk then reports
    0 ms, which the median would have taken for the fastest run (docs/performance.md,
    "Eleventh round")."""
    medians = median_of([_run(50, 80.0), _run(0, 0.0), _run(40, 120.0)])
    assert medians["p95"] == 100.0
    assert medians["unanswered"] == 1


def test_the_table_says_which_runs_had_no_answer():
    answered = Page("customer list", "customer", ["/"])
    answered.runs = {1: [_run(50, 80.0), _run(0, 0.0)]}
    silent = Page("customer search", "customer", ["/?q=x"])
    silent.runs = {1: [_run(0, 0.0), _run(0, 0.0)]}
    lines = table([answered, silent], [1]).splitlines()
    assert "| 10.0 (1 run without an answer) | 40 / 80 / 80 |" in lines[2]
    assert "2 runs without an answer" in lines[3]
    assert " 0 / 0 " not in lines[3]
