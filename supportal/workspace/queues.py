"""The built-in queues and sort orders of the agent workspace, as data.

A queue is a name and a condition over the tickets an agent may see; the queue page and the
live counts read this table, so a new queue (the SLA issue's "SLA at risk") is one entry here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Q, QuerySet
from django.db.models.expressions import BaseExpression
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.core import paging
from supportal.core.statements import KeptStatement
from supportal.sla.selectors import (
    at_risk_count_rows,
    next_deadline,
    tickets_at_risk_by_deadline,
)
from supportal.tickets import selectors
from supportal.tickets.models import WAITING_FOR_SUPPORT_FIRST, Ticket
from supportal.tickets.workflow import OPEN_STATUSES, Status

RECENTLY_RESOLVED_DURATION = dt.timedelta(days=7)

# Written as the partial indexes' condition, so that SQLite uses them (core/lookups.py).
_OPEN = Q(status__in_constants=OPEN_STATUSES)


@dataclass(frozen=True)
class Queue:
    label: str | Promise
    # (user, moment) -> condition, the moment being ``looks_back`` before now: a value of its
    # own, so that the counts' kept statement sends it as a parameter (core/statements.py).
    condition: Callable[[User, dt.datetime], Q]
    first: tuple[BaseExpression | str, ...] = field(default=())
    is_counted: bool = True
    # The list's own count stops here ("50+", then "Page 2"...): None is paging.COUNT_CAP.
    count_cap: int | None = None
    # A queue whose rows need more than a condition (a join to order by): tickets -> tickets.
    shape: Callable[[QuerySet[Ticket], dt.datetime], QuerySet[Ticket]] | None = None
    # The order its capped count walks in (none: the database chooses), when only one index
    # walk stops early.
    count_order: tuple[str, ...] = ()
    # The rows its count reads instead of its tickets' (one per ticket: tickets, now -> rows),
    # given the permitted tickets its condition holds for.
    counted_rows: Callable[[QuerySet[Ticket], dt.datetime], QuerySet[Any]] | None = None
    looks_back: dt.timedelta = dt.timedelta(0)

    def tickets(
        self, tickets: QuerySet[Ticket], *, user: User, now: dt.datetime
    ) -> QuerySet[Ticket]:
        tickets = tickets.filter(self.condition(user, now - self.looks_back))
        return self.shape(tickets, now) if self.shape else tickets


QUEUES: dict[str, Queue] = {
    "unassigned": Queue(
        _("Unassigned"),
        lambda user, now: _OPEN & Q(assignee__isnull=True),
        # Counted through their own index (newest first), which holds exactly these rows:
        # unordered, PostgreSQL read the table hoping to meet them early, and open requests
        # are the newest rows (up to 268 ms at a million tickets).
        count_order=("-updated_at", "-pk"),
    ),
    "mine": Queue(
        _("Mine"),
        lambda user, now: _OPEN & Q(assignee=user),
        first=(WAITING_FOR_SUPPORT_FIRST,),
    ),
    "waiting_for_customer": Queue(
        _("Waiting for customer"), lambda user, now: Q(status=Status.WAITING_FOR_CUSTOMER)
    ),
    "waiting_for_third_party": Queue(
        _("Waiting for third party"), lambda user, now: Q(status=Status.WAITING_FOR_THIRD_PARTY)
    ),
    "resolved": Queue(
        _("Recently resolved"),
        lambda user, since: Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=since),
        looks_back=RECENTLY_RESOLVED_DURATION,
    ),
    # Driven by the clocks' deadline index: the page costs what it shows (docs/performance.md).
    "at_risk": Queue(
        _("SLA at risk"),
        lambda user, now: _OPEN,
        first=("next_deadline_at",),
        count_cap=0,  # counted to the end of the page shown, as far as the index walk goes
        shape=lambda tickets, now: tickets_at_risk_by_deadline(tickets, now=now),
        # Counted from the clocks' side in deadline order: from the requests' side PostgreSQL
        # joined every open request to its clocks (378 ms at a million tickets; at 100,000 a
        # hash of both, 85 ms), docs/performance.md "Seventh round: the agent queue".
        counted_rows=lambda tickets, now: at_risk_count_rows(tickets, now=now),
    ),
    "open": Queue(_("All open"), lambda user, now: _OPEN),
    "all": Queue(_("All requests"), lambda user, now: Q()),
}
DEFAULT_QUEUE = "open"


@dataclass(frozen=True)
class Sort:
    label: str | Promise
    order: tuple[BaseExpression | str, ...]


SORTS: dict[str, Sort] = {
    "updated": Sort(_("Last update"), ("-updated_at",)),
    # The rank copied onto the request (never null): paged by keyset through its index.
    "priority": Sort(_("Priority"), ("-priority_rank", "created_at")),
    "age": Sort(_("Oldest first"), ("created_at",)),
    "newest": Sort(_("Newest first"), ("-created_at",)),
    "deadline": Sort(_("Next SLA deadline"), (next_deadline().asc(nulls_last=True), "created_at")),
}
DEFAULT_SORT = "updated"


def queue_counts(user: User, *, now: dt.datetime) -> dict[str, int]:
    """The size of every counted queue over the tickets ``user`` may see, in one query.

    Each count stops at ``paging.COUNT_CAP + 1`` rows (shown as "1,000+", see
    ``queue_count_label``): an exact count of a million open tickets would read them all on
    every page view, while a capped one reads at most what it shows (docs/performance.md).
    """
    return queue_counts_and(user, now=now, also=())[0]


def queue_counts_and(
    user: User,
    *,
    now: dt.datetime,
    also: Sequence[tuple[str, Sequence[Any]]],
) -> tuple[dict[str, int], list[int]]:
    """``queue_counts``, and the row counts of ``also`` (capped subqueries, SQL and
    parameters) in the same statement: the queue page's navigation facts cost no statement of
    their own (docs/performance.md, "Sixth round").

    Each queue's capped subquery is built and compiled once per process and kind of agent
    (``core.statements.KeptStatement``; "Eighth round: the agent queue"): the agent's
    desks, the agent and the moment are its parameters, the permission its condition."""
    desk_ids = selectors.desk_ids_for_agent(user)
    if desk_ids is not None and not desk_ids:
        # An agent of no desk sees no ticket (and an empty IN has no SQL to compile).
        numbers = paging.counts_at_once(Ticket.objects.db, also) if also else []
        return dict.fromkeys(_COUNTED, 0), numbers
    desks = sorted(desk_ids) if desk_ids is not None else []
    values: dict[str, Any] = {"user": user.pk, **{f"desk_{i}": pk for i, pk in enumerate(desks)}}
    subqueries = []
    for key in _COUNTED:
        values["moment"] = now - QUEUES[key].looks_back
        shape = (key, desk_ids is None, len(desks), paging.COUNT_CAP)
        subqueries.append(_CAPPED_COUNTS.sql(shape, values, using=Ticket.objects.db))
    numbers = paging.counts_at_once(Ticket.objects.db, [*subqueries, *also])
    return dict(zip(_COUNTED, numbers, strict=False)), numbers[len(_COUNTED) :]


def _capped_count_rows(
    shape: tuple[str, bool, int, int], values: Mapping[str, Any]
) -> QuerySet[Any]:
    """The rows a queue's count reads, capped, for the agent of ``values`` (or stand-ins):
    the tickets of their desks (every desk for an administrator) in the queue."""
    key, every_desk, desks, cap = shape
    queue = QUEUES[key]
    user = User(pk=values["user"])
    moment, now = values["moment"], values["moment"] + queue.looks_back
    tickets = selectors.tickets_of_desks(
        None if every_desk else [values[f"desk_{i}"] for i in range(desks)]
    )
    if queue.counted_rows is not None:
        rows = queue.counted_rows(tickets.filter(queue.condition(user, moment)), now)
    else:
        rows = queue.tickets(tickets, user=user, now=now).order_by(*queue.count_order)
    return rows.values("pk")[: cap + 1]


_COUNTED = [key for key, queue in QUEUES.items() if queue.is_counted]
_CAPPED_COUNTS: KeptStatement[tuple[str, bool, int, int], Any] = KeptStatement(_capped_count_rows)


def queue_count_label(count: int | None) -> str | int | None:
    """A queue's count as shown: exact up to COUNT_CAP, then "1,000+"."""
    if count is not None and count > paging.COUNT_CAP:
        return f"{intcomma(paging.COUNT_CAP)}+"
    return count


def queue_ordering(*, queue_key: str, sort_key: str) -> tuple[Any, ...]:
    queue = QUEUES[queue_key]
    order = SORTS[sort_key].order
    if queue_key == "at_risk" and sort_key == "deadline":
        order = ("created_at",)  # already by the next deadline, without a subquery per row
    return (*queue.first, *order, "-pk")
