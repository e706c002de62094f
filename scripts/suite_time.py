"""How long the suite and its fast part take, from one run's JUnit report (docs/architecture.md,
"Tests and their time"): one run of the whole suite gives both numbers.

    make test TEST_JOBS=1 ARGS="--junitxml=var/suite.xml"
    python scripts/suite_time.py var/suite.xml

prints the tests' summed time, that of the tests marked ``slow`` (collected again with
``-m slow``, which runs nothing) and that of the rest, which is what ``make test-fast`` runs.
Summed test times leave out start-up and collection, a few seconds; on one process they are the
wall time, with xdist roughly the wall time times the number of workers.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _slow_ids() -> set[str]:
    listing = subprocess.run(  # noqa: S603 - our own pytest, fixed arguments
        [str(ROOT / ".venv" / "bin" / "pytest"), "--collect-only", "-q", "-m", "slow", "-n", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {line.strip() for line in listing.splitlines() if "::" in line}


def _case_id(case: ET.Element) -> str:
    """The pytest node id of a JUnit test case (classname is the dotted module path)."""
    module = case.get("classname", "").replace(".", "/") + ".py"
    return f"{module}::{case.get('name', '')}"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cases = list(ET.parse(argv[0]).getroot().iter("testcase"))  # noqa: S314 - our own report
    slow = _slow_ids()
    total = sum(float(case.get("time", 0)) for case in cases)
    slow_time = sum(float(c.get("time", 0)) for c in cases if _case_id(c) in slow)
    slow_count = sum(1 for c in cases if _case_id(c) in slow)
    print(f"tests: {len(cases)}, {total / 60:.1f} min")
    print(f"slow:  {slow_count}, {slow_time / 60:.1f} min")
    print(f"fast:  {len(cases) - slow_count}, {(total - slow_time) / 60:.1f} min (make test-fast)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
