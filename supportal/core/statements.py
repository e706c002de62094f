"""Statements compiled once per process and run again with new values.

The ORM builds and compiles a statement anew for every request: for the request page's own
statement (the customer's visibility, seven joined tables, the mute, the navigation's count)
that is 5 to 7 ms of CPU, more than the statement takes to run (docs/performance.md, "Seventh
round"). A statement whose text depends only on a few facts (its *shape*: what kind of user,
which options) and whose values are plain parameters is compiled once per shape and then run
with the values of each request: same SQL, same rows, same model instances (Django's own
``ModelIterable`` builds them, ``select_related`` and annotations included).

Safety: a shape is kept only when compiling it twice, with two different sets of stand-in
values, gives the very same SQL text and parameters that differ exactly where the stand-ins
are. A value the ORM wrote into the text instead of a parameter fails that test, and the
statement is then built and compiled for every request, as before. The build is given the
stand-ins, never a request's values, when it is compiled: it must not branch on its values,
and everything it branches on (the kind of user, the options) belongs in the shape. The
permission conditions stay in the statement.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)
S = TypeVar("S", bound=Hashable)

# Stand-in values: far outside any key a table holds, and never equal between the two sets.
_INT_STAND_INS = (-7_300_000_000_000, -7_400_000_000_000)


def _stand_in(kind: type, round_: int, index: int) -> object:
    if kind is int:
        return _INT_STAND_INS[round_] - index
    if kind is str:
        return f"\x1fkept-{round_}-{index}\x1f"
    raise TypeError(f"a kept statement takes int and str values, not {kind.__name__}")


@dataclass(frozen=True)
class _Compiled(Generic[M]):
    queryset: QuerySet[M]
    compiler: Any  # the SQLCompiler that compiled it, with its select and row layout
    sql: str
    params: tuple[object, ...]
    slots: tuple[tuple[int, str], ...]  # (parameter position, value name)


class KeptStatement(Generic[S, M]):
    """One statement kept per shape. ``build(shape, values)`` returns the queryset for
    ``values`` (a mapping of names to ints or strings); it may branch on ``shape``, never on
    the values."""

    def __init__(self, build: Callable[[S, Mapping[str, Any]], QuerySet[M]]) -> None:
        self._build = build
        self._kept: dict[Hashable, _Compiled[M] | None] = {}
        self._lock = threading.Lock()

    def rows(self, shape: S, values: Mapping[str, Any], *, using: str = "default") -> list[M]:
        key = (using, connections[using].vendor, shape)
        if key not in self._kept:
            kept = self._compile(shape, values, using)
            with self._lock:
                self._kept.setdefault(key, kept)
        kept = self._kept[key]
        if kept is None:
            return list(self._build(shape, values).using(using))
        params = list(kept.params)
        for position, name in kept.slots:
            params[position] = values[name]
        return list(_run(kept, tuple(params), using))

    def _compile(self, shape: S, values: Mapping[str, Any], using: str) -> _Compiled[M] | None:
        names = sorted(values)
        rounds = []
        for round_ in (0, 1):
            stand_ins = {
                name: _stand_in(type(values[name]), round_, index)
                for index, name in enumerate(names)
            }
            queryset = self._build(shape, stand_ins).using(using)
            compiler = queryset.query.get_compiler(using=using)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return None  # nothing to keep: built (and found empty) for every request
            rounds.append((queryset, compiler, sql, tuple(params), stand_ins))
        (queryset, compiler, sql, params, first), (_, _, sql_b, params_b, second) = rounds
        slots = _slots(params, params_b, first, second)
        if sql != sql_b or slots is None or any(str(v) in sql for v in first.values()):
            return None
        return _Compiled(queryset, compiler, sql, params, slots)


def _slots(
    params: tuple[object, ...],
    params_b: tuple[object, ...],
    first: Mapping[str, object],
    second: Mapping[str, object],
) -> tuple[tuple[int, str], ...] | None:
    """Where each value goes, or None when the two compilations differ anywhere else."""
    if len(params) != len(params_b):
        return None
    by_stand_in = {(type(v), v): name for name, v in first.items()}
    slots = []
    for position, (a, b) in enumerate(zip(params, params_b, strict=True)):
        name = by_stand_in.get((type(a), a))
        if name is None:
            if a != b or type(a) is not type(b):
                return None
            continue
        if type(b) is not type(second[name]) or b != second[name]:
            return None
        slots.append((position, name))
    return tuple(slots)


def _run(kept: _Compiled[M], params: tuple[object, ...], using: str) -> QuerySet[M]:
    """The kept queryset, run with ``params`` by a copy of its compiler (Django's iterable then
    reads the rows into instances as for any queryset)."""
    queryset = kept.queryset.all()  # a copy: its query is this run's alone
    compiler = copy.copy(kept.compiler)
    compiler.connection = connections[using]
    compiler.as_sql = lambda *args, **kwargs: (kept.sql, params)
    query: Any = queryset.query
    query.get_compiler = lambda *args, **kwargs: compiler
    return queryset
