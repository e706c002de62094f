"""SLA warnings and breaches as webhook deliveries (docs/api.md#webhooks).

A listener of the SLA's own events (``sla/events.py``): when the sweeper records a warning
(deadline near) or a breach (deadline missed), each active endpoint that wants
``sla_warning`` / ``sla_breach`` (or every event) and whose person works the ticket's desk gets a
delivery, in the sweeper's transaction. Customers' endpoints get none: SLA deadlines are the
support team's.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.sla.models import SlaEvent, SlaEventKind
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import Role
from supportal.webhooks.models import WebhookDelivery
from supportal.webhooks.payloads import person_data, ticket_data
from supportal.webhooks.services import deliveries_write, endpoints_wanting

# The SLA event kinds sent, by the name endpoints subscribe to (``ticket.<name>``).
SLA_KINDS = {SlaEventKind.WARNING: "sla_warning", SlaEventKind.BREACH: "sla_breach"}
SLA_CHOICES = [
    ("sla_warning", _("SLA: deadline near")),
    ("sla_breach", _("SLA: deadline missed")),
]
TICKET_RELATED = (
    "desk",
    "requester",
    "organization",
    "assignee",
    "priority",
    "request_type",
    "product",
)


def _sla_data(event: SlaEvent) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "goal": event.goal,
        "due_at": event.due_at,
        "recorded_at": event.recorded_at,
        "assignee": person_data(event.assignee),
    }


def webhook_sla_event_record(event: SlaEvent) -> list[WebhookDelivery]:
    """Write a delivery of an SLA warning or breach for each endpoint that wants it and whose
    person is of the ticket's support team. Side effect: the delivery rows."""
    name = SLA_KINDS.get(SlaEventKind(event.kind))
    if name is None:
        return []
    routes = endpoints_wanting(name)
    if not routes:
        return []
    ticket = Ticket.objects.select_related(*TICKET_RELATED).get(pk=event.ticket_id)
    routes = [
        row
        for row in routes
        if row["desk_id"] in (None, ticket.desk_id)
        and row["organization_id"] in (None, ticket.organization_id)
    ]
    owners = User.objects.in_bulk({row["owner_id"] for row in routes})
    event_type = f"ticket.{name}"
    body = {
        "type": event_type,
        "timestamp": event.recorded_at,
        "data": {"sla": _sla_data(event), "ticket": ticket_data(ticket)},
    }
    allowed = [
        row["pk"]
        for row in routes
        if (owner := owners.get(row["owner_id"])) is not None
        and owner.is_active
        and {Role.AGENT, Role.TEAM_LEAD} & ticket_roles(owner, ticket)
    ]
    return deliveries_write(
        endpoint_ids=allowed,
        event_type=event_type,
        body=body,
        at=event.recorded_at,
        reference=ticket.reference,
    )
