"""Every entry point that changes a status passes the same gate and reads the same table.

Each case drives one entry point twice: with the real workflow table the status moves to the
row's target, and with that action's rows taken out of the table (or, for the system, its role)
the same call changes nothing. An entry point that decided on its own would pass the second run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from supportal.core.errors import PermissionRefused
from supportal.mail.inbound import inbound_process_one, inbound_store
from supportal.mail.models import InboundChannel
from supportal.notifications.services import reply_address_get
from supportal.sla import sweeper
from supportal.sla.models import DeskSlaSettings, ReplyOverdueAction
from supportal.tickets import services, workflow
from supportal.tickets.models import EventKind, Ticket
from supportal.tickets.workflow import Action, Role, Status


def _without(action: Action, role: Role | None = None) -> tuple[workflow.Transition, ...]:
    """The table without the rows of ``action`` (or without ``role`` on them)."""
    if role is None:
        return tuple(t for t in workflow.TRANSITIONS if t.action != action)
    return tuple(
        dataclasses.replace(t, roles=t.roles - {role}) if t.action == action else t
        for t in workflow.TRANSITIONS
    )


def _waiting_for_customer(cast) -> Ticket:
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Un log?"
    )
    return ticket


def _resolved_due(cast) -> Ticket:
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Gata."
    )
    Ticket.objects.filter(pk=ticket.pk).update(auto_close_at=timezone.now() - dt.timedelta(1))
    return ticket


def _workspace_take(cast, client, ticket) -> None:
    client.force_login(cast.agent_help)
    client.post(reverse("workspace:action", args=[ticket.reference, Action.TAKE]))


def _workspace_bulk_take(cast, client, ticket) -> None:
    client.force_login(cast.agent_help)
    client.post(
        reverse("workspace:bulk"),
        {"operation": "transition", "action": Action.TAKE, "ticket": [ticket.pk]},
    )


def _portal_resolve(cast, client, ticket) -> None:
    client.force_login(cast.cristina)
    client.post(reverse("portal:action", args=[ticket.reference, Action.CUSTOMER_RESOLVE]))


def _portal_answer(cast, client, ticket) -> None:
    client.force_login(cast.cristina)
    client.post(reverse("portal:comment", args=[ticket.reference]), {"body": "Iată logul."})


def _mail_answer(cast, client, ticket) -> None:
    message = EmailMessage()
    message["From"] = f"Cristina <{cast.cristina.email}>"
    message["To"] = reply_address_get(ticket)
    message["Subject"] = f"Re: {ticket.reference} {ticket.summary}"
    message["Message-ID"] = f"<answer-{ticket.pk}@mail.example.com>"
    message.set_content("Iată logul.")
    stored = inbound_store(message.as_bytes(), channel=InboundChannel.SMTP)
    inbound_process_one(stored.message.pk)


def _auto_close_worker(cast, client, ticket) -> None:
    services.tickets_close_due()


def _sla_overdue_answer(cast, client, ticket) -> None:
    sweeper.sla_sweep_due(timezone.now() + dt.timedelta(days=30))


def _overdue_answer_resolves(cast) -> Ticket:
    DeskSlaSettings.objects.create(
        desk=cast.help_desk,
        customer_reply_duration=dt.timedelta(hours=1),
        reply_overdue_action=ReplyOverdueAction.RESOLVE,
        resolve_as=cast.lead_help,
    )
    return _waiting_for_customer(cast)


@dataclasses.dataclass(frozen=True)
class EntryPoint:
    set_up: Callable[..., Ticket]
    call: Callable[..., None]
    action: Action  # the rows taken out of the table
    target: Status
    role: Role | None = None  # only this role taken out of those rows


def _new(cast) -> Ticket:
    return cast.ticket()


ENTRY_POINTS = {
    "workspace": EntryPoint(_new, _workspace_take, Action.TAKE, Status.IN_PROGRESS),
    "bulk": EntryPoint(_new, _workspace_bulk_take, Action.TAKE, Status.IN_PROGRESS),
    "portal": EntryPoint(_new, _portal_resolve, Action.CUSTOMER_RESOLVE, Status.RESOLVED),
    "portal comment": EntryPoint(
        _waiting_for_customer, _portal_answer, Action.CUSTOMER_REPLY, Status.WAITING_FOR_SUPPORT
    ),
    "inbound mail": EntryPoint(
        _waiting_for_customer, _mail_answer, Action.CUSTOMER_REPLY, Status.WAITING_FOR_SUPPORT
    ),
    "auto-close worker": EntryPoint(
        _resolved_due, _auto_close_worker, Action.CLOSE, Status.CLOSED, role=Role.SYSTEM
    ),
    "SLA overdue answer": EntryPoint(
        _overdue_answer_resolves, _sla_overdue_answer, Action.RESOLVE, Status.RESOLVED
    ),
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_moves_the_status_as_the_table_says(entry_point, cast, client):
    entry = ENTRY_POINTS[entry_point]
    ticket = entry.set_up(cast)
    entry.call(cast, client, ticket)
    ticket.refresh_from_db()
    assert ticket.status == entry.target
    latest = ticket.events.filter(kind=EventKind.STATUS_CHANGED).latest("pk")
    assert (latest.data["action"], latest.data["to_status"]) == (entry.action, entry.target)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_is_refused_when_the_table_refuses(
    entry_point, cast, client, monkeypatch
):
    entry = ENTRY_POINTS[entry_point]
    ticket = entry.set_up(cast)
    before = Ticket.objects.get(pk=ticket.pk).status
    monkeypatch.setattr(workflow, "TRANSITIONS", _without(entry.action, entry.role))
    entry.call(cast, client, ticket)  # each interface reports the refusal; none raises
    ticket.refresh_from_db()
    assert ticket.status == before


def test_a_resolution_on_a_desk_without_delay_is_closed_by_the_system_through_the_table(
    cast, monkeypatch
):
    cast.help_desk.auto_close_days = 0
    cast.help_desk.save(update_fields=["auto_close_days"])
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Gata."
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    close = ticket.events.filter(kind=EventKind.STATUS_CHANGED).latest("pk")
    assert (close.actor, close.data["action"]) == (None, Action.CLOSE)

    monkeypatch.setattr(workflow, "TRANSITIONS", _without(Action.CLOSE, Role.SYSTEM))
    other = cast.ticket()
    with pytest.raises(PermissionRefused):
        services.ticket_transition(
            ticket=other, actor=cast.agent_help, action=Action.RESOLVE, resolution="Gata."
        )
    other.refresh_from_db()
    assert other.status == Status.WAITING_FOR_SUPPORT  # the resolution rolled back with it


def test_the_taking_agent_is_assigned_as_the_row_declares(cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    ticket.refresh_from_db()
    assert ticket.assignee == cast.agent_help
    assert workflow.find_transition(Action.TAKE, Status.WAITING_FOR_SUPPORT).assigns_actor
