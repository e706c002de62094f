from bench.side_by_side import PAIRS, table


def record(pair: str, side: str, figures: dict, rep: int = 1) -> dict:
    return {
        "rep": rep,
        "pair": pair,
        "side": side,
        "began": "17:00:00",
        "load": [9.0, 9.0, 9.0],
        "figures": figures,
    }


def run(rps: float, p50: float, p95: float) -> dict:
    return {"rps": rps, "p50": p50, "p95": p95}


QUEUE = next(p for p in PAIRS if p.ours == "agent queue")
SEARCH = next(p for p in PAIRS if p.ours == "agent search: common")


def test_the_peers_list_waits_for_its_page_and_its_rows_and_goes_as_fast_as_the_rows():
    records = [
        record(QUEUE.name, "supportal", {"1": {"ours": run(10, 100, 150)}}),
        record(
            QUEUE.name,
            "peer",
            {"1": {"list_page": run(50, 20, 30), "list_data": run(2, 480, 600)}},
        ),
    ]

    row = table(records, duration=6).splitlines()[2]

    assert "| 10.0 req/s; 100 / 150 | 2.0 req/s; 500 / 630 | 5.0× sooner, 5.0× the req/s |" in row


def test_rows_of_which_none_finished_within_a_run_count_as_the_run_a_lower_bound():
    records = [
        record(QUEUE.name, "supportal", {"2": {"ours": run(10, 100, 150)}}),
        record(
            QUEUE.name,
            "peer",
            {"2": {"list_page": run(50, 20, 30), "list_data": run(0, 0, 0)}, "1": {}},
        ),
    ]

    row = table(records, duration=6).splitlines()[3]

    assert "< 0.17 req/s; > 6,020 / > 6,030 | > 60.2× sooner" in row


def test_a_request_timed_alone_is_its_median_and_has_no_rate():
    records = [
        record(SEARCH.name, "supportal", {"1": {"ours": run(5, 200, 300)}}),
        record(
            SEARCH.name,
            "peer",
            {
                "1": {
                    "search_common_page": run(10, 100, 120),
                    "search_common_data": {"single_ms": [7000, 5000, 6000]},
                }
            },
        ),
    ]

    row = table(records, duration=6).splitlines()[2]

    assert "| single requests; 6,100 / 7,120 | 30.5× sooner |" in row


def test_medians_are_taken_over_the_repetitions():
    records = [
        record(QUEUE.name, "supportal", {"1": {"ours": run(rps, p50, 0)}}, rep)
        for rep, (rps, p50) in enumerate([(10, 100), (30, 300), (20, 200)], start=1)
    ] + [
        record(QUEUE.name, "peer", {"1": {"list_page": run(1, 1000, 0), "list_data": run(1, 0, 0)}})
    ]

    row = table(records, duration=6).splitlines()[2]

    assert "| 20.0 req/s; 200 / 0 |" in row
