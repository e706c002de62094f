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
permission conditions stay in the statement. Values are ints, strings, days and moments (a
moment is sent as the database's own adaptation makes it: the object on PostgreSQL, its text
in the connection's zone on SQLite); the active language is part of the key, since a
translated model's columns in a filter or an order follow it. :func:`row_by` is the simplest
use: one row by one unique column, as every logged-in page reads its session and its user;
:meth:`KeptStatement.sql` gives the SQL and parameters of a statement that runs inside another
(the queue counts' capped subqueries, docs/performance.md "Eighth round: the agent queue").
"""

from __future__ import annotations

import copy
import datetime
import operator
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, MultipleObjectsReturned
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.translation import get_language

M = TypeVar("M", bound=Model)
S = TypeVar("S", bound=Hashable)

# Stand-in values: far outside any key a table holds, and never equal between the two sets.
_INT_STAND_INS = (-7_300_000_000_000, -7_400_000_000_000)


def _stand_in(kind: type, round_: int, index: int) -> object:
    if kind is int:
        return _INT_STAND_INS[round_] - index
    if kind is str:
        return f"\x1fkept-{round_}-{index}\x1f"
    if kind is datetime.date:
        return datetime.date(1901 + round_, 2, 1 + index)
    if kind is datetime.datetime:  # sent as the backend adapts it (its zone's text on SQLite)
        return datetime.datetime(1901 + round_, 3, 1, 0, 0, index, tzinfo=datetime.UTC)
    raise TypeError(f"a kept statement takes int, str, date and datetime values, not {kind}")


@dataclass(frozen=True)
class _Compiled(Generic[M]):
    queryset: QuerySet[M]
    compiler: Any  # the SQLCompiler that compiled it, with its select and row layout
    sql: str
    params: tuple[object, ...]
    # (parameter position, value name, how it is sent: as it is, a day as its ISO text as
    # SQLite's is, a moment as the backend adapts it)
    slots: tuple[tuple[int, str, str], ...]
    # The select's columns and their converters (what ``get_converters`` finds for each, the
    # same on every run), found for the connection that compiled it.
    fields: tuple[object, ...]
    converters: dict[int, Any]


class KeptStatement(Generic[S, M]):
    """One statement kept per shape. ``build(shape, values)`` returns the queryset for
    ``values`` (a mapping of names to ints or strings); it may branch on ``shape``, never on
    the values."""

    def __init__(self, build: Callable[[S, Mapping[str, Any]], QuerySet[M]]) -> None:
        self._build = build
        self._kept: dict[Hashable, _Compiled[M] | None] = {}
        self._lock = threading.Lock()

    def rows(self, shape: S, values: Mapping[str, Any], *, using: str = "default") -> list[M]:
        kept = self._kept_for(shape, values, using)
        if kept is None:
            return list(self._build(shape, values).using(using))
        return list(_run(kept, _params(kept, values, using), using))

    def sql(
        self, shape: S, values: Mapping[str, Any], *, using: str = "default"
    ) -> tuple[str, tuple[object, ...]]:
        """The statement's SQL and parameters for ``values``, for a caller that runs it inside
        a statement of its own (``core.paging.counts_at_once``); compiled anew, as the ORM
        would, when the shape cannot be kept (EmptyResultSet then raises as from the ORM)."""
        kept = self._kept_for(shape, values, using)
        if kept is None:
            queryset = self._build(shape, values).using(using)
            sql, params = queryset.query.get_compiler(using=using).as_sql()
            return sql, tuple(params)
        return kept.sql, _params(kept, values, using)

    def _kept_for(self, shape: S, values: Mapping[str, Any], using: str) -> _Compiled[M] | None:
        # A translated model's columns in a filter or an order follow the active language.
        key = (using, connections[using].vendor, get_language(), shape)
        if key not in self._kept:
            kept = self._compile(shape, values, using)
            with self._lock:
                self._kept.setdefault(key, kept)
        return self._kept[key]

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
        slots = _slots(params, params_b, first, second, using)
        if sql != sql_b or slots is None or any(str(v) in sql for v in first.values()):
            return None
        fields = tuple(s[0] for s in compiler.select[0 : compiler.col_count])
        converters = compiler.get_converters(fields)
        return _Compiled(queryset, compiler, sql, params, slots, fields, converters)


def _slots(
    params: tuple[object, ...],
    params_b: tuple[object, ...],
    first: Mapping[str, object],
    second: Mapping[str, object],
    using: str,
) -> tuple[tuple[int, str, str], ...] | None:
    """Where each value goes, or None when the two compilations differ anywhere else."""
    if len(params) != len(params_b):
        return None
    by_stand_in: dict[tuple[type, object], tuple[str, str]] = {
        (type(v), v): (name, _AS_IT_IS) for name, v in first.items()
    }
    for name, v in first.items():
        if _is_day(v):
            by_stand_in[(str, _as_text(v))] = (name, _DAY_TEXT)
        elif isinstance(v, datetime.datetime):
            sent = _sent(_MOMENT, v, using)
            by_stand_in[(type(sent), sent)] = (name, _MOMENT)
    slots = []
    for position, (a, b) in enumerate(zip(params, params_b, strict=True)):
        found = by_stand_in.get((type(a), a))
        if found is None:
            if a != b or type(a) is not type(b):
                return None
            continue
        name, how = found
        expected = _sent(how, second[name], using)
        if type(b) is not type(expected) or b != expected:
            return None
        slots.append((position, name, how))
    return tuple(slots)


_AS_IT_IS, _DAY_TEXT, _MOMENT = "as it is", "day text", "moment"


def _sent(how: str, value: object, using: str) -> object:
    """``value`` as the database is sent it in a slot of this kind."""
    if how == _DAY_TEXT:
        return _as_text(value)
    if how == _MOMENT:
        assert isinstance(value, datetime.datetime)
        return connections[using].ops.adapt_datetimefield_value(value)
    return value


def _params(kept: _Compiled[Any], values: Mapping[str, Any], using: str) -> tuple[object, ...]:
    params = list(kept.params)
    for position, name, how in kept.slots:
        params[position] = _sent(how, values[name], using)
    return tuple(params)


def _is_day(value: object) -> bool:
    return type(value) is datetime.date


def _as_text(day: object) -> str:
    assert isinstance(day, datetime.date)
    return day.isoformat()


def _run(kept: _Compiled[M], params: tuple[object, ...], using: str) -> QuerySet[M]:
    """The kept queryset, run with ``params`` by a copy of its compiler (Django's iterable then
    reads the rows into instances as for any queryset)."""
    queryset = kept.queryset.all()  # a copy: its query is this run's alone
    compiler = copy.copy(kept.compiler)
    connection = connections[using]
    compiler.connection = connection
    compiler.as_sql = lambda *args, **kwargs: (kept.sql, params)
    if connection is kept.compiler.connection:
        # Each column's converters looked up once, not on every run (docs/performance.md,
        # "Tenth round: the request page and the ticket page"); for the kept select only, and
        # only on the connection they were found for (another thread's is asked anew).
        find = compiler.get_converters
        compiler.get_converters = lambda fields: (
            kept.converters
            if len(fields) == len(kept.fields) and all(map(operator.is_, fields, kept.fields))
            else find(fields)
        )
    query: Any = queryset.query
    query.get_compiler = lambda *args, **kwargs: compiler
    return queryset


_BY_COLUMN: dict[tuple[type[Model], str], KeptStatement[None, Any]] = {}


def row_by(model: type[M], field_name: str, value: object, *, using: str = "default") -> M | None:
    """The row of ``model`` whose ``field_name`` (a unique column) equals ``value``, or None:
    what ``model._base_manager.filter(field_name=value).first()`` gives, kept as above. Every
    logged-in page reads its session's and its user's row this way (``core.sessions``,
    ``accounts.backends``): building those two lookups was most of the floor of a page
    (docs/performance.md, "Seventh round: creating a request and the floor of every page")."""
    kept = _BY_COLUMN.get((model, field_name))
    if kept is None:

        def build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
            return model._base_manager.filter(**{field_name: values["value"]}).order_by()

        kept = _BY_COLUMN.setdefault((model, field_name), KeptStatement(build))
    field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    # Prepared as the ORM prepares an exact lookup's value ("7" for a key becomes 7; a value
    # that is not one raises as the ORM's lookup would).
    rows = kept.rows(None, {"value": field.get_prep_value(value)}, using=using)  # type: ignore[union-attr]
    if len(rows) > 1:
        raise MultipleObjectsReturned(f"{model.__name__}.{field_name} is not unique")
    return rows[0] if rows else None
