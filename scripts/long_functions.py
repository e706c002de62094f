"""No function in the production code is longer than LIMIT lines (docs/architecture.md, "Code
size"): a long function becomes named steps.

    python scripts/long_functions.py            check (make lint): fail on a function over the
                                                limit that the allow-list does not name, or
                                                that grew past its listed length
    python scripts/long_functions.py --list     every function over the limit, longest first
    python scripts/long_functions.py --shrink   lower scripts/long-functions-allowed.txt to
                                                today's lengths

scripts/long-functions-allowed.txt names the functions still over the limit and their length;
it may only shrink (--shrink never raises a length or adds a function). Tests, migrations and
scripts are not counted.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ROOT / "scripts" / "long-functions-allowed.txt"
SCANNED = ("supportal", "config")
LIMIT = 60


def _skipped(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "migrations" in parts or "tests" in parts or path.name.startswith("test_")


def long_functions() -> dict[str, int]:
    """``path:qualified.name`` -> length in lines (decorators and docstring included)."""
    found: dict[str, int] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if _skipped(path):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            _visit(tree, path.relative_to(ROOT).as_posix(), "", found)
    return found


def _visit(node: ast.AST, path: str, prefix: str, found: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                length = (child.end_lineno or child.lineno) - first + 1
                if length > LIMIT:
                    found[f"{path}:{name}"] = length
            _visit(child, path, f"{name}.", found)


def _allowed() -> dict[str, int]:
    allowed = {}
    for line in ALLOWED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, length = line.rsplit(maxsplit=1)
            allowed[name] = int(length)
    return allowed


def _write(allowed: dict[str, int]) -> None:
    lines = [
        "# Functions still over the limit of scripts/long_functions.py, with their length in",
        "# lines. This list may only shrink: split a function into named steps, then run",
        "# `python scripts/long_functions.py --shrink`.",
        *(f"{name} {length}" for name, length in sorted(allowed.items())),
    ]
    ALLOWED.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    found = long_functions()
    if "--list" in argv:
        for name, length in sorted(found.items(), key=lambda item: -item[1]):
            print(f"{length:4} {name}")
        return 0
    allowed = _allowed()
    if "--shrink" in argv:
        _write({n: min(found[n], length) for n, length in allowed.items() if n in found})
        return 0
    problems = [
        f"{name}: {length} lines (limit {LIMIT}, allowed {allowed.get(name, LIMIT)})"
        for name, length in sorted(found.items())
        if length > allowed.get(name, LIMIT)
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Split these into named steps (scripts/long_functions.py).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
