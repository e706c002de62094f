"""A model's new rows as the VALUES of an INSERT, for one statement that writes several tables.

Django writes each model's rows with an INSERT of their own, compiled per call. Where one
action writes rows that depend on one another (a request's clocks and their first entries; its
reply address and pending notification), PostgreSQL writes them in one statement with a
data-modifying ``WITH``: one round trip instead of two or three, and none of the query
compiler's work (docs/performance.md, "Sixth round").

:func:`values_of` gives the columns, the rows and their parameters the way ``bulk_create``
would write them: every concrete column but the auto-incremented key, each value prepared by
its field (``pre_save`` fills ``auto_now_add``; ``get_db_prep_save`` adapts JSON and
durations), each placeholder cast to its column's type so that a ``VALUES`` list read by a
``SELECT`` keeps the types. As with ``bulk_create``, no ``pre_save``/``post_save`` signal is
sent: a caller whose model has receivers does their work itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from supportal.core.jobs import WAKING_WORKERS


def values_of(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    connection: BaseDatabaseWrapper,
    exclude: Iterable[str] = (),
) -> tuple[list[str], str, list[Any]]:
    """The quoted columns of ``model`` (less the key and the fields named in ``exclude``), the
    placeholders of one row, ``(%s::type, …)``, and the parameters of ``objs``, row by row."""
    fields, columns, row = _shape_of(model, frozenset(exclude), connection.alias, connection)
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
        for obj in objs
        for field in fields
    ]
    return list(columns), row, params


# (model, fields left out, database alias) -> the fields, their quoted columns and one row's
# placeholders: the same for every call, built once per process (docs/performance.md, "Seventh
# round").
_SHAPES: dict[tuple[object, ...], tuple[list[models.Field], list[str], str]] = {}


def _shape_of(
    model: type[models.Model],
    left_out: frozenset[str],
    alias: str,
    connection: BaseDatabaseWrapper,
) -> tuple[list[models.Field], list[str], str]:
    key = (model, left_out, alias, connection.vendor)
    shape = _SHAPES.get(key)
    if shape is None:
        fields = [
            field
            for field in model._meta.concrete_fields
            if not field.primary_key and field.name not in left_out
        ]
        quote = connection.ops.quote_name
        row = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in fields) + ")"
        columns = [quote(field.column) for field in fields if field.column]
        assert len(columns) == len(fields), "every concrete field has a column"
        shape = _SHAPES[key] = (fields, columns, row)
    return shape


def saved(obj: models.Model, pk: int, *, using: str) -> None:
    """Mark ``obj`` as the row written with key ``pk`` (what ``save`` leaves on an instance)."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using


def waking_insert_sql(
    obj: models.Model, *, connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """PostgreSQL: the ``INSERT`` of ``obj``, a new row of due work, together with the workers'
    wake-up that ``core.jobs`` sends after one (``WAKING_WORKERS``: ``pg_notify``, delivered on
    commit), and its parameters; without ``RETURNING``, so that a caller may add a condition
    (``WHERE``) or use it inside a ``WITH``."""
    columns, row, params = values_of(type(obj), [obj], connection=connection)
    table = connection.ops.quote_name(obj._meta.db_table)
    # Our own table's and columns' names, and placeholders: no input.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT chosen.*"  # noqa: S608
        f" FROM (VALUES {row}) AS chosen, {WAKING_WORKERS}"
    )
    return sql, params


def insert_waking_workers(obj: models.Model, *, connection: BaseDatabaseWrapper) -> None:
    """PostgreSQL: write ``obj``, a new row of due work, and the workers' wake-up in one
    statement (:func:`waking_insert_sql`), without ``post_save``; ``obj`` is then saved as
    ``save`` leaves it (the inbound store, docs/performance.md, "Ninth round")."""
    sql, params = waking_insert_sql(obj, connection=connection)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id", params)
        (pk,) = cursor.fetchone()
    saved(obj, pk, using=connection.alias)
