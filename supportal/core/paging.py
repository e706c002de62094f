"""Pagination whose cost follows the page shown, not the size of the table nor the page's depth.

A list of a million rows does not need its exact size to show its first page: the count stops
at ``cap`` rows (or just past the page asked for, when that lies deeper and no cursor is given),
and the page shows "1,000+". Deeper pages are found by keyset: the links carry the sort values of
the last (or first) row shown (``after=`` / ``before=``), and the next page is the rows past
those values, read from the list's index, instead of reading and skipping every row above it
(OFFSET). A link with only ``page=N`` still works, by OFFSET (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, Q, QuerySet, Window
from django.utils.functional import cached_property

COUNT_CAP = 1000
# A menu (<select>) lists at most this many rows; past it, the page asks for an e-mail address
# instead: a company of thousands made every request page read and render them all.
PICKER_LIMIT = 200
# The columns a keyset may use: never null, and compared as the database sorts them.
KEYSET_FIELDS = frozenset(
    {"pk", "id", "updated_at", "created_at", "next_deadline_at", "priority_rank"}
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def picker_choices(rows: QuerySet) -> list | None:
    """At most ``PICKER_LIMIT`` rows for a menu, or None when there are more (the page then
    asks for the person's e-mail address)."""
    return picker_cut(list(rows[: PICKER_LIMIT + 1]))


def picker_cut(chosen: list) -> list | None:
    """A menu's rows read with one more than ``PICKER_LIMIT``: None when that one is there."""
    return None if len(chosen) > PICKER_LIMIT else chosen


def counts_at_once(database: str, subqueries: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
    """The number of rows of each subquery (SQL and its parameters, each capped by its own
    LIMIT), in one statement: a page's capped counts cost one round trip."""
    # The callers' SQL (compiled querysets, the search engines' constant fragments): every
    # value in it is a parameter.
    pieces = [
        f"(SELECT COUNT(*) FROM ({sql}) counted_{index})"  # noqa: S608
        for index, (sql, _p) in enumerate(subqueries)
    ]
    params = [param for _sql, sql_params in subqueries for param in sql_params]
    with connections[database].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(pieces), params)
        return list(cursor.fetchone())


def keyset_of(order: Sequence[object]) -> tuple[str, ...] | None:
    """The ordering as a keyset (column names, "-" for descending), or None when a list so
    ordered cannot be paged by keyset (an expression, a nullable or joined column)."""
    if not order or not all(isinstance(o, str) for o in order):
        return None
    names = tuple(str(o) for o in order)
    if not all(name.lstrip("-") in KEYSET_FIELDS for name in names):
        return None
    return names


def _encode(value: object) -> str:
    if isinstance(value, dt.datetime):
        return "t" + str((value - _EPOCH) // dt.timedelta(microseconds=1))
    if isinstance(value, int):
        return "i" + str(value)
    raise TypeError(value)


def _decode(text: str) -> object:
    kind, number = text[:1], int(text[1:])
    if kind == "t":
        return _EPOCH + dt.timedelta(microseconds=number)
    if kind == "i":
        return number
    raise ValueError(text)


def cursor_of(row: object, keyset: Sequence[str]) -> str:
    """The cursor of a row: a model instance, or a ``.values()`` row holding the keyset's
    columns under the same names."""
    if isinstance(row, Mapping):
        return ".".join(_encode(row[name.lstrip("-")]) for name in keyset)
    return ".".join(_encode(getattr(row, name.lstrip("-"))) for name in keyset)


def cursor_values(cursor: str | None, keyset: Sequence[str]) -> list[object] | None:
    """The values a cursor names, or None when it is absent or not one of ours."""
    if not cursor:
        return None
    try:
        values = [_decode(part) for part in cursor.split(".")]
    except (ValueError, OverflowError):
        return None
    return values if len(values) == len(keyset) else None


def _past(keyset: Sequence[str], values: list[object], *, backwards: bool) -> Q:
    """Rows strictly past ``values`` in the keyset's order (before them when ``backwards``).

    ``a < x OR (a = x AND b < y) ...``, with ``a <= x`` added first: the database can start its
    index walk there instead of testing the rows above.
    """
    branches: list[Q] = []
    equal = Q()
    for name, value in zip(keyset, values, strict=True):
        field = name.lstrip("-")
        descending = name.startswith("-") != backwards
        branches.append(equal & Q(**{f"{field}__{'lt' if descending else 'gt'}": value}))
        equal &= Q(**{field: value})
    condition = reduce(operator.or_, branches)
    first = keyset[0].lstrip("-")
    first_descending = keyset[0].startswith("-") != backwards
    return Q(**{f"{first}__{'lte' if first_descending else 'gte'}": values[0]}) & condition


# Deeper than any list is paged; a larger number asks for the last page.
PAGE_MAX = 100_000
# The column a short list's page carries its count in.
_TOTAL = "paging_total"


def _wanted(number: object) -> int:
    try:
        wanted = int(str(number))
    except (TypeError, ValueError):
        wanted = 1
    # ?page=99999999999999999999 must not become a LIMIT the database cannot hold.
    return min(max(wanted, 1), PAGE_MAX)


class CappedPaginator(Paginator):
    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        cap: int | None = None,
        count_in_order: bool = False,
        keyset: Sequence[str] | None = None,
        rows_at_most: int | None = None,
        counted: QuerySet | None = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        # The same rows before their columns were chosen (``values`` across foreign keys
        # joins the rows' tables): counted instead where the order does not matter, so that
        # the count reads one index and no joined table (docs/performance.md, "Seventeenth
        # round: the queue counts").
        self._counted = counted
        # A list that holds at most this many rows (a search's ranked matches): counted
        # exactly, paged by number, and ``is_full`` when it holds them all.
        self.rows_at_most = rows_at_most
        self.cap = rows_at_most if rows_at_most is not None else COUNT_CAP if cap is None else cap
        self._limit = self.cap
        # Count in the list's order when that order is what lets the database stop early (an
        # index walked from the start, as for "SLA at risk"); otherwise unordered.
        self.count_in_order = count_in_order
        # The list's ordering as column names (see keyset_of), when it may be paged by keyset
        # (a cut list is short: paged by number).
        self.keyset = tuple(keyset) if keyset and rows_at_most is None else None

    def count_rows(
        self, number: object, *, after: str | None = None, before: str | None = None
    ) -> QuerySet | None:
        """The capped rows ``get_page`` would count for the same page, for a caller that
        counts them with other counts in one statement and hands the number to
        ``count_is``; None when the page counts its rows with them (a short list on
        PostgreSQL: ``_page_with_count``)."""
        if self.rows_at_most is not None:
            if connections[self.queryset.db].vendor == "postgresql":
                return None
            limit = self.cap
        elif self.keyset and any(
            cursor_values(cursor, self.keyset) is not None for cursor in (after, before)
        ):
            limit = self.cap
        else:
            limit = max(self.cap, _wanted(number) * self.per_page)
        return self._count_source().values("pk")[: limit + 1]

    def count_is(self, counted: int) -> None:
        """The number of the rows of ``count_rows``, counted by the caller."""
        self.__dict__["count"] = counted  # the cached property

    def get_page(
        self, number: object, *, after: str | None = None, before: str | None = None
    ) -> Page:
        wanted = _wanted(number)
        if self.keyset:
            for cursor, backwards in ((after, False), (before, True)):
                values = cursor_values(cursor, self.keyset)
                if values is not None:
                    return self._keyset_page(max(wanted, 1), values, backwards=backwards)
        if self.rows_at_most is not None:
            counted = self._page_with_count(wanted)
            if counted is not None:
                return counted
        else:
            # Count just past the page asked for, so that "Next" knows whether more rows exist.
            self._limit = max(self.cap, wanted * self.per_page)
        page = super().get_page(wanted)
        if self.keyset:
            page.object_list = list(page.object_list)
            _cursors_set(page, self.keyset)
        return page

    def first_rows_limits(self) -> tuple[int, int]:
        """How many rows the first page reads and how many its count reads (less one), for
        a caller that reads them by statements of its own (``first_page``)."""
        return self.per_page, max(self.cap, self.per_page)

    def first_page(self, rows: list[Any]) -> Page:
        """``get_page(None)`` of a list whose count was handed to ``count_is`` and whose
        first ``per_page`` rows (in its order) the caller read: the same page, without the
        paginator's own statement (docs/performance.md, "Eleventh round: the agent queue").
        Rows past the count are dropped, as ``Paginator.page`` cuts its slice at the count."""
        self._limit = max(self.cap, self.per_page)
        shown = rows[: self.count]
        page = Page(shown, 1, self)
        if self.keyset:
            _cursors_set(page, self.keyset)
        return page

    def _page_with_count(self, number: int) -> Page | None:
        """A short list's page and its count in one statement (``COUNT(*) OVER ()``, over at
        most ``rows_at_most`` rows) on PostgreSQL, or None when the page is empty (then
        counted apart, and the last page shown) or on SQLite."""
        if connections[self.queryset.db].vendor != "postgresql":
            # SQLite runs a statement with a window function as a subquery, where the
            # search's scores (a derived table built once, docs/search.md) were built again
            # for every row: 4.7 s instead of 12 ms for a common word at 10,000 tickets.
            return None
        bottom = (number - 1) * self.per_page
        counted = self.queryset.annotate(**{_TOTAL: Window(Count("pk"))})
        rows = list(counted[bottom : bottom + self.per_page])
        if not rows:
            return None
        if isinstance(rows[0], dict):
            self.__dict__["count"] = rows[0][_TOTAL]  # the cached property
            for row in rows:
                del row[_TOTAL]
        else:
            self.__dict__["count"] = getattr(rows[0], _TOTAL)
        return Page(rows, number, self)

    def _keyset_page(self, number: int, values: list[object], *, backwards: bool) -> Page:
        assert self.keyset is not None
        rows_query = self.queryset.filter(_past(self.keyset, values, backwards=backwards))
        if backwards:
            rows_query = rows_query.reverse()
        rows = list(rows_query[: self.per_page + 1])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if backwards:
            rows.reverse()
        if backwards and not more:
            number = 1  # nothing before these rows: this is the first page
        return KeysetPage(
            rows,
            number,
            self,
            has_next=True if backwards else more,
            has_previous=number > 1 if backwards else True,
            next_cursor=cursor_of(rows[-1], self.keyset) if rows else "",
            previous_cursor=cursor_of(rows[0], self.keyset) if rows else "",
        )

    @cached_property
    def count(self) -> int:
        """The number of rows, up to one past the limit (then ``is_capped``)."""
        return self._count_source().values("pk")[: self._limit + 1].count()

    def _count_source(self) -> QuerySet:
        """The rows the count reads: the list in its order, or unordered (and unjoined,
        when ``counted`` was given) where the order does not let the database stop early."""
        if self.count_in_order:
            return self.queryset
        return (self.queryset if self._counted is None else self._counted).order_by()

    @property
    def is_capped(self) -> bool:
        return self.count > self._limit

    @property
    def is_full(self) -> bool:
        """A list of at most ``rows_at_most`` rows holds that many (more may have matched)."""
        return self.rows_at_most is not None and self.count >= self.rows_at_most

    @property
    def shown_count(self) -> int:
        """What the page says: the exact count, or the limit followed by "+"."""
        return self._limit if self.is_capped else self.count


class KeysetPage(Page):
    """A page found by keyset: it knows its neighbours from its own rows, not from the count."""

    def __init__(
        self,
        object_list: list,
        number: int,
        paginator: CappedPaginator,
        *,
        has_next: bool,
        has_previous: bool,
        next_cursor: str,
        previous_cursor: str,
    ) -> None:
        super().__init__(object_list, number, paginator)
        self._has_next = has_next and bool(object_list)
        self._has_previous = has_previous
        self.next_cursor = next_cursor
        self.previous_cursor = previous_cursor

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self._has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


def _cursors_set(page: Page, keyset: Sequence[str]) -> None:
    """The cursors of the rows after and before a keyset-paged page (its rows a list)."""
    rows = page.object_list
    page.next_cursor = cursor_of(rows[-1], keyset) if rows else ""  # type: ignore[attr-defined]
    page.previous_cursor = cursor_of(rows[0], keyset) if rows else ""  # type: ignore[attr-defined]
