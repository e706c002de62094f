"""One change applied to many tickets, each in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused, TransitionRefused
from supportal.desks.models import (
    Priority,
)
from supportal.tickets.models import (
    Ticket,
)
from supportal.tickets.selectors import (
    ticket_queryset_for_user,
)
from supportal.tickets.services.fields import ticket_fields_change
from supportal.tickets.services.people import ticket_assign
from supportal.tickets.services.transitions import ticket_transition
from supportal.tickets.workflow import Action

BULK_MAX_TICKETS = 200


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk change did to one ticket: done, or the reason it was refused."""

    reference: str
    refusal: str = ""

    @property
    def is_done(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class BulkReport:
    outcomes: list[BulkOutcome]
    missing: int  # selected ids the actor may not see (or that do not exist)

    @property
    def done(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if o.is_done]

    @property
    def refused(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if not o.is_done]


def _bulk(actor: User, ticket_ids: Iterable[int], change: Callable[[Ticket], object]) -> BulkReport:
    # One transaction per ticket: a refusal on one leaves the others changed, and is reported.
    wanted = list(dict.fromkeys(int(pk) for pk in ticket_ids))[:BULK_MAX_TICKETS]
    tickets = list(
        ticket_queryset_for_user(actor)
        .filter(pk__in=wanted)
        .select_related("desk")
        .order_by("reference")
    )
    outcomes = []
    for ticket in tickets:
        try:
            change(ticket)
        except NotFound:
            outcomes.append(BulkOutcome(ticket.reference, _("There is no such request.")))
        except (InvalidInput, PermissionRefused, TransitionRefused) as exc:
            outcomes.append(BulkOutcome(ticket.reference, exc.message))
        else:
            outcomes.append(BulkOutcome(ticket.reference))
    return BulkReport(outcomes=outcomes, missing=len(wanted) - len(tickets))


def tickets_bulk_transition(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    action: Action,
    resolution: str = "",
    now: dt.datetime | None = None,
) -> BulkReport:
    """Apply one workflow action to each selected ticket; each refusal is reported per ticket.

    Side effects: those of ``ticket_transition``, per ticket that allowed it.
    """
    # Each ticket's time is taken under its own lock (services._common._lock).
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_transition(
            ticket=t, actor=actor, action=action, resolution=resolution, now=now
        ),
    )


def tickets_bulk_assign(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    assignee: User | None,
    now: dt.datetime | None = None,
) -> BulkReport:
    """Assign each selected ticket (team leads: anyone; agents: themselves), reporting refusals.

    Side effects: those of ``ticket_assign``.
    """
    # Each ticket's time is taken under its own lock (services._common._lock).
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_assign(ticket=t, actor=actor, assignee=assignee, now=now),
    )


def tickets_bulk_priority(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    priority: Priority | None,
    now: dt.datetime | None = None,
) -> BulkReport:
    """Set the priority of each selected ticket, reporting refusals.

    Side effects: those of ``ticket_fields_change``.
    """
    # Each ticket's time is taken under its own lock (services._common._lock).
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_fields_change(ticket=t, actor=actor, priority=priority, now=now),
    )
