"""The API and the portal give the same events and notifications for the same action."""

from __future__ import annotations

import pytest

from supportal.notifications.models import PendingNotification
from supportal.tickets import services
from supportal.tickets.workflow import Action

pytestmark = pytest.mark.django_db


def _trace(ticket) -> tuple[list, int]:
    events = [
        (e.kind, e.is_public, e.actor_id, {k: v for k, v in e.data.items()})
        for e in ticket.events.order_by("pk")
    ]
    pending = PendingNotification.objects.filter(ticket=ticket).count()
    return events, pending


def _waiting(cast):
    ticket = cast.ticket(cast.cristina)
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Which office?",
        reason="information_needed",
    )
    return ticket


def test_a_customer_reply_and_a_cancel_are_the_same_through_both(cast, client, api_as):
    via_portal, via_api = _waiting(cast), _waiting(cast)
    client.force_login(cast.cristina)
    client.post(f"/requests/{via_portal.reference}/comment/", {"body": "Bucharest"})
    client.post(f"/requests/{via_portal.reference}/do/cancel/", {"confirm": "1"})
    api = api_as(cast.cristina)
    path = f"/api/v1/tickets/{via_api.reference}"
    assert api.post(f"{path}/comments", {"body": "Bucharest"}).status_code == 201
    assert api.post(f"{path}/actions/cancel").status_code == 200
    portal_trace, api_trace = _trace(via_portal), _trace(via_api)
    assert portal_trace == api_trace
    kinds = [kind for kind, *_ in api_trace[0]]
    assert kinds.count("status_changed") == 3  # asked, answered, cancelled
