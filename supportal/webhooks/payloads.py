"""What a ticket looks like outside: the API's list item and the webhooks' ``data.ticket``."""

from __future__ import annotations

from django.db.models import Model

from supportal.accounts.models import User
from supportal.tickets import workflow
from supportal.tickets.models import Event, Ticket


def person_data(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.get_full_name() or user.email}


def named_data(obj: Model | None) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}  # type: ignore[attr-defined]


def ticket_data(ticket: Ticket) -> dict:
    """A ticket's fields, as the API's list returns them (related rows should be selected)."""
    return {
        "reference": ticket.reference,
        "summary": ticket.summary,
        "status": ticket.status,
        "status_label": str(workflow.Status(ticket.status).label),
        "desk": {"id": ticket.desk.pk, "key": ticket.desk.key, "name": ticket.desk.name},
        "requester": person_data(ticket.requester),
        "company": named_data(ticket.organization),
        "assignee": person_data(ticket.assignee),
        "priority": named_data(ticket.priority),
        "request_type": named_data(ticket.request_type),
        "product": named_data(ticket.product),
        "submission_method": ticket.submission_method,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
    }


def event_data(event: Event) -> dict:
    comment = event.comment
    return {
        "id": event.pk,
        "kind": event.kind,
        "is_public": event.is_public,
        "actor": person_data(event.actor),
        "data": event.data,
        "comment": None
        if comment is None
        else {"id": comment.pk, "body": comment.body, "is_public": comment.is_public},
        "created_at": event.created_at,
    }
