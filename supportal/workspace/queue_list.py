"""The queue's list: its tickets, filtered, annotated, ordered and read in the columns a row
shows; and, for the pages agents open most (a queue's first page, unfiltered or by desk and
status), its two statements kept (``core.statements.KeptStatement``): building and compiling
them was about a sixth of the page's CPU (docs/performance.md, "Eleventh round: the agent
queue").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Subquery

from supportal.accounts.models import User
from supportal.core.paging import keyset_of
from supportal.core.statements import KeptStatement
from supportal.sla.selectors import queue_sla_annotations
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import desk_ids_for_agent, tickets_of_desks
from supportal.workspace.forms import tickets_filtered
from supportal.workspace.queue_rows import QUEUE_VALUES
from supportal.workspace.queues import QUEUES, queue_ordering

# The filters a kept first page may have (any other is built per request).
_KEPT_FILTERS = ("desk", "status")


@functools.cache
def sla_annotations() -> dict[str, Subquery]:
    """The SLA column's subqueries, built once per process: they hold no value of a request,
    and a queryset that uses one resolves a copy of it (docs/performance.md, "Ninth round:
    the agent queue and search results")."""
    return queue_sla_annotations()


def queue_tickets(
    visible: QuerySet[Ticket],
    *,
    queue_key: str,
    user: User,
    now: dt.datetime,
    filters: Mapping[str, Any],
) -> QuerySet[Ticket]:
    """The tickets of ``visible`` in the queue, narrowed by ``filters``, with the SLA column."""
    tickets = QUEUES[queue_key].tickets(visible, user=user, now=now)
    return tickets_filtered(tickets, filters, user=user).annotate(**sla_annotations())


def queue_listed(
    tickets: QuerySet[Ticket], *, queue_key: str, sort_key: str
) -> tuple[QuerySet[Any], tuple[str, ...] | None]:
    """``tickets`` in the sort's order, as plain values in the columns a row shows and those
    of the keyset (queue_rows.py), with the keyset they are paged by."""
    ordering = queue_ordering(queue_key=queue_key, sort_key=sort_key)
    keyset = keyset_of(ordering)
    extra = [name.lstrip("-") for name in keyset or () if name.lstrip("-") not in QUEUE_VALUES]
    return tickets.order_by(*ordering).values(*QUEUE_VALUES, *extra), keyset


@dataclass(frozen=True)
class FirstPage:
    """A queue's first page whose statements are kept: the shape (queue, sort, kind of agent,
    filters set) and the request's values (the agent, their desks, the moment, the filters)."""

    shape: tuple[str, str, bool, int, tuple[str, ...]]
    values: dict[str, Any]

    def count_sql(self, limits: tuple[int, int]) -> tuple[str, tuple[object, ...]]:
        """The capped rows the page's count reads, for the queue counts' statement."""
        return _FIRST_PAGE.sql(("count", *self.shape, *limits), self.values, using=_db())

    def rows(self, limits: tuple[int, int]) -> list[dict[str, Any]]:
        return _FIRST_PAGE.rows(("rows", *self.shape, *limits), self.values, using=_db())


def _db() -> str:
    return Ticket.objects.db


def first_page_of(
    user: User, *, queue_key: str, sort_key: str, now: dt.datetime, filters: Mapping[str, Any]
) -> FirstPage | None:
    """The kept first page for these choices, or None when the list is built per request (a
    search, another filter, an agent of no desk, a user who is not staff)."""
    if not user.is_active or not (user.is_agent or user.is_superuser):
        return None
    chosen = [name for name in filters if name not in ("view", "sort")]
    if any(name not in _KEPT_FILTERS for name in chosen):
        return None
    desk_ids = desk_ids_for_agent(user)
    if desk_ids is not None and not desk_ids:
        return None
    desks = sorted(desk_ids) if desk_ids is not None else []
    values: dict[str, Any] = {
        "user": user.pk,
        "moment": now - QUEUES[queue_key].looks_back,
        **{f"desk_{i}": pk for i, pk in enumerate(desks)},
    }
    if "desk" in filters:
        values["desk"] = filters["desk"].pk
    if "status" in filters:
        values["status"] = str(filters["status"])
    kept = tuple(name for name in _KEPT_FILTERS if name in filters)
    return FirstPage((queue_key, sort_key, desk_ids is None, len(desks), kept), values)


def _first_page_build(shape: tuple[Any, ...], values: Mapping[str, Any]) -> QuerySet[Any]:
    """The first page's rows or its capped count's rows, for ``values`` (or stand-ins): the
    same queryset the view builds otherwise, the agent's desks as its permission."""
    part, queue_key, sort_key, every_desk, desks, kept, per_page, limit = shape
    queue = QUEUES[queue_key]
    visible = tickets_of_desks(None if every_desk else [values[f"desk_{i}"] for i in range(desks)])
    tickets = queue_tickets(
        visible,
        queue_key=queue_key,
        user=User(pk=values["user"]),
        now=values["moment"] + queue.looks_back,
        filters={name: values[name] for name in kept},
    )
    listed, _keyset = queue_listed(tickets, queue_key=queue_key, sort_key=sort_key)
    if part == "rows":
        return listed[:per_page]
    # Counted in the list's order where that order stops the walk early (CappedPaginator's
    # count_in_order); otherwise unordered and without the rows' joins, as the paginator does.
    counted = listed if queue.count_cap is not None else tickets.order_by()
    return counted.values("pk")[: limit + 1]


_FIRST_PAGE: KeptStatement[tuple[Any, ...], Any] = KeptStatement(_first_page_build)
