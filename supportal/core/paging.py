"""Pagination whose cost follows the page asked for, not the size of the table.

A list of a million rows does not need its exact size to show its first page: the count stops
at ``cap`` rows (or just past the page asked for, when that lies deeper), and the page shows
"1,000+" (docs/performance.md).
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 1000
# Deeper than any list is paged; a larger number asks for the last page.
PAGE_MAX = 100_000


class CappedPaginator(Paginator):
    def __init__(self, object_list: QuerySet, per_page: int, *, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self._limit = self.cap

    def get_page(self, number: object) -> Page:
        try:
            wanted = int(str(number))
        except (TypeError, ValueError):
            wanted = 1
        # ?page=99999999999999999999 must not become a LIMIT the database cannot hold.
        wanted = min(max(wanted, 1), PAGE_MAX)
        # Count just past the page asked for, so that "Next" knows whether more rows exist.
        self._limit = max(self.cap, wanted * self.per_page)
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        """The number of rows, up to one past the limit (then ``is_capped``)."""
        return self.object_list.order_by().values("pk")[: self._limit + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self._limit

    @property
    def shown_count(self) -> int:
        """What the page says: the exact count, or the limit followed by "+"."""
        return self._limit if self.is_capped else self.count
