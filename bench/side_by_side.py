"""Supportal and django-helpdesk measured side by side over HTTP, page against page, in the same
minutes.

Usage (Supportal's database filled by ``bench.generate``; django-helpdesk installed and filled
by the peer's own scripts in a scratch folder, outside this repository)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_100k \
    .venv/bin/python -m bench.side_by_side --peer-dir /path/to/peer-scratch \
        --peer-bench /path/to/peer-bench --write-database-url postgres://.../a_writable_copy
    .venv/bin/python -m bench.side_by_side --summarize var/bench/side-20261203-171000Z ...

For each pair of pages (the table in docs/performance.md), Supportal's page is measured by
``bench.run`` (its own gunicorn, 2 sync workers, 1 then 2 connections, one repetition) and the
peer's by the peer folder's ``bench_run.py`` against the peer's gunicorn (2 sync workers, DEBUG
off, persistent connections), one right after the other; which of the two goes first alternates
from pair to pair and from repetition to repetition. The peer's staff list is a page plus a
separate rows request (DataTables): its user waits for both, so the two are measured and added.
A peer request slower than a run (its search) is timed by single requests instead of wrk, as
``bench.run`` does with its own pages. The load average is written with every run. Creating a
request writes: it runs on ``--write-database-url`` so that a shared benchmark database stays
unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run import Session

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 2)
DATATABLES = re.compile(r'"url":\s*"(/datatables_ticket_list/[^"]+)"')
# What DataTables sends for the first page of rows (as the peer folder's prepare script writes).
FIRST_ROWS = "?draw=1&start=0&length=25&search%5Bvalue%5D=&search%5Bregex%5D=false"
# The peer's text is English words from a short list: "invoice" is in 61 % of its tickets, the
# nearest to Supportal's common word; a submitter's name part is in one ticket in 700 (its search
# reads submitter addresses too), the nearest to Supportal's rare word (one in 500).
PEER_COMMON_WORD = "invoice"
PEER_SPECIFIC_WORD = "zoe.kowalski"


@dataclass(frozen=True)
class Pair:
    name: str  # the row of the table
    ours: str  # bench.run's page name
    theirs: tuple[str, ...]  # the peer's scenarios whose times add up (a page and its rows)
    writes: bool = False  # runs on the writable copy
    timed: tuple[str, ...] = ()  # the peer's scenarios too slow for wrk: single requests


PAIRS = (
    Pair("hello (ceiling)", "hello", ("hello",)),
    Pair("agent queue, default", "agent queue", ("list_page", "list_data")),
    Pair(
        "queue filtered by desk and status",
        "queue: desk + status",
        ("list_filtered_page", "list_filtered_data"),
    ),
    Pair("agent ticket page", "agent ticket page", ("detail",)),
    Pair("customer request page", "customer request page", ("customer_view",)),
    Pair("create a request (portal form POST)", "create a request", ("create_form",), True),
    Pair(
        "agent search: a word in few tickets",
        "agent search: specific",
        ("search_specific_page",),
        timed=("search_specific_data",),
    ),
    Pair(
        "agent search: a word in nearly all",
        "agent search: common",
        ("search_common_page",),
        timed=("search_common_data",),
    ),
)


# The peer's server and scenarios --------------------------------------------------------------


def peer_env(peer_dir: Path) -> dict[str, str]:
    return dict(os.environ, PEER_DB="postgres", PEER_DATA_DIR=str(peer_dir / "data" / "postgres"))


def peer_start(args: argparse.Namespace, out: Path) -> subprocess.Popen:
    command = [
        str(args.peer_dir / "venv" / "bin" / "gunicorn"),
        "peersite.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.peer_port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--timeout",
        "300",
        "--error-logfile",
        str(out / "peer-gunicorn.log"),
    ]
    server = subprocess.Popen(  # noqa: S603
        command, cwd=args.peer_dir / "project", env=peer_env(args.peer_dir)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Session(args.peer_port).request("GET", "/bench/hello/")[0] == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the peer's server did not start; see peer-gunicorn.log")


def peer_scenarios(args: argparse.Namespace, out: Path) -> Path:
    """The peer folder's scenarios plus the staff search (a list page with ``q``, and its
    rows request)."""
    subprocess.run(  # noqa: S603
        [str(peer_python(args)), str(args.peer_bench / "prepare_helpdesk.py"), "--out", str(out)],
        cwd=args.peer_dir / "project",
        env=peer_env(args.peer_dir),
        check=True,
    )
    path = out / "scenarios.json"
    spec = json.loads(path.read_text())
    staff = Session(args.peer_port)
    staff.login(spec["login"]["username"], spec["login"]["password"])
    for kind, word in (("common", PEER_COMMON_WORD), ("specific", PEER_SPECIFIC_WORD)):
        page = f"/tickets/?q={word}"
        status, _location, text = staff.request("GET", page)
        match = DATATABLES.search(text)
        if status != 200 or not match:
            raise SystemExit(f"the peer's search page {page} answered {status} without rows")
        for suffix, request_path in (("page", page), ("data", match.group(1) + FIRST_ROWS)):
            spec["scenarios"].append(
                {
                    "name": f"search_{kind}_{suffix}",
                    "method": "GET",
                    "auth": "staff",
                    "paths": [request_path],
                    "expect": [200],
                }
            )
    path.write_text(json.dumps(spec, indent=1))
    return path


def peer_python(args: argparse.Namespace) -> Path:
    return args.peer_dir / "venv" / "bin" / "python"


# One measurement of each side ------------------------------------------------------------------


def ours_measure(args: argparse.Namespace, pair: Pair, out: Path) -> dict[str, dict]:
    """bench.run on one page, 1 then 2 connections: {level: {"ours": figures}}."""
    env = dict(os.environ)
    if pair.writes:
        env["DATABASE_URL"] = args.write_database_url
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--port",
        str(args.port),
        "--only",
        pair.ours,
        "--reps",
        "1",
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--connections",
        ",".join(str(level) for level in LEVELS),
        "--label",
        "side",
        "--out",
        str(out / "supportal"),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    written = re.search(r"written to (\S+)", done.stdout)
    if done.returncode or not written:
        raise SystemExit(f"bench.run failed on {pair.ours}:\n{done.stdout[-2000:]}{done.stderr}")
    pages = json.loads(Path(written.group(1)).read_text())["pages"]
    if len(pages) != 1:
        raise SystemExit(f"--only {pair.ours!r} chose {len(pages)} pages of bench.run")
    page = pages[0]
    figures = {}
    for level in LEVELS:
        runs = page["runs"][str(level)]
        if runs:
            run = runs[0]
            figures[str(level)] = {
                "ours": {"rps": run["rps"], "p50": run["ms"]["p50"], "p95": run["ms"]["p95"]}
            }
        else:
            figures[str(level)] = {"ours": {"single_ms": [page["single_ms"]]}}
    return figures


def theirs_measure(args: argparse.Namespace, pair: Pair, scenarios: Path, out: Path) -> dict:
    """The peer's bench_run.py on the pair's scenarios at each level, and the single requests of
    the slow ones: {level: {scenario: figures}}."""
    figures: dict[str, dict] = {}
    for level in LEVELS:
        result = out / "peer" / f"{pair.theirs[0]}-c{level}-{time.time_ns()}.json"
        result.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(peer_python(args)),
            str(args.peer_bench / "bench_run.py"),
            "--base",
            f"http://127.0.0.1:{args.peer_port}",
            "--scenarios",
            str(scenarios),
            "--out",
            str(result),
            "--reps",
            "1",
            "--duration",
            str(args.duration),
            "--warmup",
            str(args.warmup),
            "--connections",
            str(level),
            "--only",
            *pair.theirs,
        ]
        done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
        if done.returncode:
            raise SystemExit(f"the peer's run failed on {pair.theirs}:\n{done.stdout}{done.stderr}")
        summary = json.loads(result.read_text())["summary"]
        figures[str(level)] = {
            name: {"rps": s["rps"], "p50": s["p50_ms"], "p95": s["p95_ms"]}
            for name, s in summary.items()
        }
    if pair.timed:
        spec = json.loads(scenarios.read_text())
        staff = Session(args.peer_port)
        staff.timeout = 600.0
        staff.login(spec["login"]["username"], spec["login"]["password"])
        for name in pair.timed:
            path = next(s for s in spec["scenarios"] if s["name"] == name)["paths"][0]
            figures["1"][name] = {"single_ms": single_requests(staff, path, args.single)}
    return figures


def single_requests(session: Session, path: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        began = time.monotonic()
        status = session.request("GET", path)[0]
        times.append(round((time.monotonic() - began) * 1000, 1))
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return times


def measure(args: argparse.Namespace, out: Path) -> Path:
    records_path = out / "records.json"
    scenarios = peer_scenarios(args, out)
    pairs = [p for p in PAIRS if not args.only or any(o in p.name for o in args.only)]
    records: list[dict] = []
    for rep in range(1, args.reps + 1):
        for index, pair in enumerate(pairs):
            sides = ["supportal", "peer"]
            if (rep + index) % 2 == 0:
                sides.reverse()
            for side in sides:
                load_before = os.getloadavg()
                began = time.strftime("%H:%M:%S", time.gmtime())
                if side == "supportal":
                    figures = ours_measure(args, pair, out)
                else:
                    figures = theirs_measure(args, pair, scenarios, out)
                record = {
                    "rep": rep,
                    "pair": pair.name,
                    "side": side,
                    "began": began,
                    "load": [round(x, 2) for x in load_before],
                    "figures": figures,
                }
                records.append(record)
                records_path.write_text(json.dumps(records, indent=1))
                print(json.dumps(record), flush=True)
    return records_path


# The table -------------------------------------------------------------------------------------


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def part_figures(found: list[dict], duration: float) -> dict:
    """Medians of one page's (or rows request's) runs at one level. A run in which no request
    finished says only that one request takes longer than the run: the time is then that lower
    bound, and ``over`` is set."""
    runs = [x for x in found if x.get("rps")]
    singles = [t for x in found for t in x.get("single_ms", [])]
    if runs:
        return {
            "rps": statistics.median(x["rps"] for x in runs),
            "p50": statistics.median(x["p50"] for x in runs),
            "p95": statistics.median(x["p95"] for x in runs),
            "single": False,
            "over": False,
        }
    if singles:
        middle = statistics.median(singles)
        return {"rps": None, "p50": middle, "p95": max(singles), "single": True, "over": False}
    bound = duration * 1000
    return {"rps": 1 / duration, "p50": bound, "p95": bound, "single": False, "over": True}


def side_figures(records: list[dict], pair: Pair, side: str, level: str, duration: float) -> dict:
    """Medians over the repetitions: req/s (of the slowest part), p50 and p95 (summed over the
    parts a user waits for: the peer's list page and its rows request)."""
    mine = [r for r in records if r["pair"] == pair.name and r["side"] == side]
    parts = (pair.ours,) if side == "supportal" else pair.theirs + pair.timed
    per_part = {}
    for part in parts:
        key = "ours" if side == "supportal" else part
        # a peer request timed by single requests is in the 1-connection figures only
        found = [
            r["figures"].get(level, {}).get(key) or r["figures"].get("1", {}).get(key) for r in mine
        ]
        per_part[part] = part_figures([x for x in found if x], duration)
    rps = [v["rps"] for v in per_part.values() if v["rps"] is not None]
    return {
        "rps": None if any(v["single"] for v in per_part.values()) else min(rps),
        "p50": sum(v["p50"] for v in per_part.values()),
        "p95": sum(v["p95"] for v in per_part.values()),
        "over": any(v["over"] for v in per_part.values()),
        "single": any(v["single"] for v in per_part.values()),
        "parts": per_part,
    }


def figure_text(f: dict) -> str:
    over = "> " if f["over"] else ""
    if f["rps"] is None:
        rate = "single requests"
    elif f["over"]:
        rate = f"< {f['rps']:,.2f} req/s"
    else:
        rate = f"{f['rps']:,.1f} req/s"
    return f"{rate}; {over}{f['p50']:,.0f} / {over}{f['p95']:,.0f}"


def ratio_text(ours: dict, theirs: dict) -> str:
    if ours["over"]:
        return "Supportal: no request finished within a run"
    over = "> " if theirs["over"] else ""
    text = f"{over}{theirs['p50'] / ours['p50']:.1f}× sooner"
    if ours["rps"] and theirs["rps"]:
        text += f", {over}{ours['rps'] / theirs['rps']:.1f}× the req/s"
    return text


def table(records: list[dict], duration: float) -> str:
    lines = [
        "| page | conn | Supportal req/s; p50 / p95 ms | django-helpdesk req/s; p50 / p95 ms "
        "| Supportal against the peer |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for pair in PAIRS:
        sides = {r["side"] for r in records if r["pair"] == pair.name}
        if sides != {"supportal", "peer"}:
            continue
        for level in (str(level) for level in LEVELS):
            ours = side_figures(records, pair, "supportal", level, duration)
            theirs = side_figures(records, pair, "peer", level, duration)
            lines.append(
                f"| {pair.name} | {level} | {figure_text(ours)} | {figure_text(theirs)} "
                f"| {ratio_text(ours, theirs)} |"
            )
    loads = [r["load"][0] for r in records]
    times = [r["began"] for r in records]
    lines.append("")
    lines.append(
        f"{len(records)} runs, {min(times)}–{max(times)} UTC, load average (1 min) "
        f"{min(loads):.1f} to {max(loads):.1f}, medians of "
        f"{len({r['rep'] for r in records})} repetition(s)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-dir", type=Path, help="where the peer is installed (PEER_DIR)")
    parser.add_argument("--peer-bench", type=Path, help="the peer's benchmark scripts")
    parser.add_argument("--port", type=int, default=8110, help="Supportal's server")
    parser.add_argument("--peer-port", type=int, default=8120, help="the peer's server")
    parser.add_argument("--write-database-url", help="DATABASE_URL for creating a request")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each run")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    parser.add_argument("--single", type=int, default=3, help="single requests of a slow page")
    parser.add_argument("--only", action="append", help="measure only pairs with this name")
    parser.add_argument("--summarize", nargs="+", type=Path, help="records.json files to table")
    args = parser.parse_args(argv)
    if args.summarize:
        records = [r for path in args.summarize for r in json.loads(path.read_text())]
        print(table(records, args.duration))
        return 0
    if not (args.peer_dir and args.peer_bench and args.write_database_url):
        parser.error("--peer-dir, --peer-bench and --write-database-url are needed to measure")
    out = ROOT / "var" / "bench" / time.strftime("side-%Y%m%d-%H%M%SZ", time.gmtime())
    out.mkdir(parents=True, exist_ok=True)
    server = peer_start(args, out)
    try:
        records_path = measure(args, out)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(table(json.loads(records_path.read_text()), args.duration))
    print(f"\nwritten to {records_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
