"""The code and docs cite only documents inside the repository (docs/requirements.md and the
other docs/ files), never the seed guides, PRODUCT.md or the issue tracker, which a newcomer with
a clone cannot open.

    python scripts/citations.py            check (make lint): fail on a citation not allowed
    python scripts/citations.py --list     every citation, with the rule of docs/requirements.md
                                           that most likely replaces it
    python scripts/citations.py --shrink   lower scripts/citations-allowed.txt to today's counts

scripts/citations-allowed.txt lists the files that still cite an outside document and how many
times; it may only shrink (--shrink never raises a count or adds a file).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ROOT / "scripts" / "citations-allowed.txt"
SCANNED = ("supportal", "config", "docs", "scripts", "Makefile", ".ci", "pyproject.toml")
SUFFIXES = {".py", ".html", ".txt", ".js", ".css", ".md", ".toml", ""}
SKIPPED = ("/locale/", "scripts/citations")

CITATION = re.compile(
    r"(?<![a-z0-9])seeds?(?:[ _-]?0\d\d)?(?![a-z0-9])"  # "seed 003", "test_the_seed_000_story"
    r"|\b(?:PRODUCT|STYLE|HELPERS)\.md\b"
    r"|\bissues?[ _]#?\d+\b",  # "issue 6", "issue #8"
    re.IGNORECASE,
)

# Where each outside document's subject now lives (the most likely replacement; check the text).
REQ = "docs/requirements.md"
SUGGESTIONS = [
    (re.compile(r"seed[ _-]?003\D{0,6}7|who may see", re.I), f"{REQ}#visibility"),
    (re.compile(r"seed[ _-]?003\D{0,6}[56]", re.I), f"{REQ}#company-self-service"),
    (re.compile(r"issue[ _]#?6\b|notif", re.I), f"{REQ}#notifications"),
    (re.compile(r"issue[ _]#?8\b|sla|calendar|clock", re.I), f"{REQ}#sla"),
    (re.compile(r"issue[ _]#?7\b|mail|inbound", re.I), f"{REQ}#inbound-mail"),
    (re.compile(r"issue[ _]#?2\b|workflow|status|transition", re.I), f"{REQ}#moves"),
    (re.compile(r"password|invit|log-?in|sign-?up", re.I), f"{REQ}#accounts"),
    (re.compile(r"attach|field|detail|8,?000", re.I), f"{REQ}#request-fields"),
    (
        re.compile(r"contact|newsletter|download|hours|emergency", re.I),
        f"{REQ}#company-self-service",
    ),
    (
        re.compile(r"seed[ _-]?004|seed[ _-]?002|seed[ _-]?000|seed[ _-]?001", re.I),
        f"{REQ}#request-life",
    ),
]


def scanned_files() -> list[str]:
    listed = subprocess.run(  # noqa: S603 (a fixed command line)
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *SCANNED],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return sorted(
        name
        for name in listed
        if Path(name).suffix in SUFFIXES
        and not any(part in name for part in SKIPPED)
        and (ROOT / name).is_file()
    )


def citations() -> list[tuple[str, int, str]]:
    found = []
    for name in scanned_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            found.extend((name, number, line.strip()) for _ in CITATION.finditer(line))
    return found


def allowed() -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in ALLOWED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, count = line.rsplit(" ", 1)
            counts[name] = int(count)
    return counts


def suggestion(line: str) -> str:
    for pattern, target in SUGGESTIONS:
        if pattern.search(line):
            return target
    return REQ


def write_allowed(counts: Counter[str]) -> None:
    header = [
        line for line in ALLOWED.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    body = [f"{name} {count}" for name, count in sorted(counts.items()) if count > 0]
    ALLOWED.write_text("\n".join([*header, *body]) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    found = citations()
    counts = Counter(name for name, _, _ in found)
    if "--list" in argv:
        for name, number, line in found:
            print(f"{name}:{number}: {line[:90]}\n    -> {suggestion(line)}")
        print(f"{len(found)} citations in {len(counts)} files")
        return 0
    limits = allowed()
    if "--shrink" in argv:
        write_allowed(Counter({name: min(limits[name], counts[name]) for name in limits}))
        return 0
    over = {name: count for name, count in counts.items() if count > limits[name]}
    for name, number, line in found:
        if name in over:
            print(f"{name}:{number}: {line[:100]}")
    if over:
        print(
            "\nThese files cite documents outside the repository (seed guides, PRODUCT.md, "
            "issues). Cite docs/requirements.md (or another docs/ file) instead; "
            "`python scripts/citations.py --list` suggests where each rule lives."
        )
        return 1
    fewer = sum(limits[name] - counts[name] for name in limits if counts[name] < limits[name])
    if fewer:
        print(f"{fewer} citations fewer than allowed: `python scripts/citations.py --shrink`.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
