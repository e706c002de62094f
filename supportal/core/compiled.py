"""One model row by one column's value, its SELECT compiled once per database connection.

Every logged-in page reads its session's row and its user's row, and a portal page its desk's,
each by a single key. Through the ORM each read builds a queryset, its WHERE clause and its SQL
again (0.3–0.5 ms of CPU each, more than the round trip: docs/performance.md, "Seventh
round"). :func:`row_by` compiles ``Model.objects.filter(column=value)`` once per connection,
keeps the compiler (its select list and its converters), and afterwards only sends the same SQL
with the new value and turns the row into an instance as the ORM would (``from_db``: the same
columns, the same converters, no signals beyond the ORM's own ``post_init``).

The value is prepared by its field, as the ORM prepares an exact lookup's value. The kept SQL
depends only on the model and the connection's vendor, never on the value; it is kept on the
connection object, so each thread and each database has its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import get_language

M = TypeVar("M", bound=models.Model)

_KEPT_ATTRIBUTE = "_supportal_compiled_rows"


class _Compiled:
    __slots__ = ("compiler", "converters", "field", "index", "init_list", "params", "sql")

    def __init__(
        self,
        compiler: SQLCompiler,
        sql: str,
        params: list[Any],
        index: int,
        field: models.Field,
        init_list: list[str],
    ) -> None:
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.index = index
        self.field = field
        self.init_list = init_list
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )


def _compile(model: type[models.Model], field_name: str, using: str) -> _Compiled:
    field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    assert isinstance(field, models.Field)
    # A value no caller sends, to find its place among the parameters; its type is the field's.
    sentinel: object = (
        -7_342_901 if isinstance(field, models.IntegerField) else "\x01supportal-compiled\x01"
    )
    queryset = model._base_manager.using(using).filter(**{field_name: sentinel}).order_by()
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    places = [n for n, value in enumerate(params) if value == sentinel]
    if len(places) != 1:
        raise AssertionError(f"{model.__name__}.{field_name}: the value is not one parameter")
    klass_info = compiler.klass_info
    assert klass_info is not None and not compiler.annotation_col_map
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    assert start == 0 and end == compiler.col_count, "only the model's own columns"
    init_list = [column[0].target.attname for column in compiler.select[start:end]]
    return _Compiled(compiler, sql, list(params), places[0], field, init_list)


def row_by(model: type[M], field_name: str, value: object, *, using: str = "default") -> M | None:
    """The row of ``model`` whose ``field_name`` equals ``value`` (a unique column), or None:
    what ``model._base_manager.filter(field_name=value).first()`` gives for a unique column,
    without building the query again."""
    connection = connections[using]
    kept: dict[tuple[type[models.Model], str], _Compiled] = connection.__dict__.setdefault(
        _KEPT_ATTRIBUTE, {}
    )
    compiled = kept.get((model, field_name))
    if compiled is None:
        compiled = kept[(model, field_name)] = _compile(model, field_name, using)
    params = list(compiled.params)
    params[compiled.index] = compiled.field.get_db_prep_value(
        compiled.field.get_prep_value(value), connection, prepared=True
    )
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchmany(2)
    if not rows:
        return None
    if len(rows) > 1:
        raise MultipleObjectsReturned(f"{model.__name__}.{field_name} is not unique")
    if compiled.converters:
        (row,) = compiled.compiler.apply_converters(rows, compiled.converters)
    else:
        (row,) = rows
    return model.from_db(using, compiled.init_list, row)


def _sample_of(field: models.Field, n: int) -> object:
    """A value of ``field``'s type that no caller sends (the ``n``-th), to find where a value
    goes among a compiled query's parameters."""
    if isinstance(field, models.ForeignKey):
        return _sample_of(field.target_field, n)
    if isinstance(field, models.IntegerField):
        return -7_342_901 - n
    if isinstance(field, models.DateTimeField):
        raise TypeError("a date-time parameter is not kept: its SQL may depend on the zone")
    if isinstance(field, models.DateField):
        return datetime.date(1901, 2, 3 + n)
    return f"\x01supportal-compiled-{n}\x01"


def values_rows(
    name: str,
    build: Callable[..., QuerySet[Any]],
    values: Sequence[tuple[models.Field, object]],
    *,
    using: str = "default",
) -> list[tuple[Any, ...]]:
    """The rows of ``build(*values)``, a ``values_list`` query, with its SQL compiled once per
    connection under ``name``: each value is prepared by the field given with it, as the ORM
    prepares a lookup's value, and put where the compiled query had it (a value may appear more
    than once). ``build`` must give the same SQL for every value of the fields' types."""
    connection = connections[using]
    kept: dict[str, tuple[SQLCompiler, str, list[Any], list[list[int]], Any]] = (
        connection.__dict__.setdefault(_KEPT_ATTRIBUTE + "_values", {})
    )
    # A translated model's order or columns follow the active language (modeltranslation).
    key = f"{name}:{get_language()}"
    compiled = kept.get(key)
    fields = [field for field, _value in values]
    if compiled is None:
        samples = [_sample_of(field, n) for n, field in enumerate(fields)]
        queryset = build(*samples)
        query = queryset.query
        assert not query.extra_select and not query.annotation_select, "plain columns only"
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        prepared = [
            _prepared(field, sample, connection)
            for field, sample in zip(fields, samples, strict=True)
        ]
        places = [[n for n, param in enumerate(params) if param == p] for p in prepared]
        if not all(places):
            raise AssertionError(f"{name}: a value is not among the parameters")
        converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )
        compiled = kept[key] = (compiler, sql, list(params), places, converters)
    compiler, sql, params, places, converters = compiled
    params = list(params)
    for field, value, where in zip(fields, (v for _f, v in values), places, strict=True):
        prepared_value = _prepared(field, value, connection)
        for n in where:
            params[n] = prepared_value
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]
    return [tuple(row) for row in rows]


def _prepared(field: models.Field, value: object, connection: Any) -> object:
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)
