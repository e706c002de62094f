"""The one place a ticket's status is written."""

from __future__ import annotations

import datetime as dt

from supportal.accounts.models import User
from supportal.desks.models import (
    CustomerReplyStatus,
)
from supportal.tickets import workflow
from supportal.tickets.models import (
    Comment,
    EventKind,
    Ticket,
)
from supportal.tickets.services._common import _event, _touch
from supportal.tickets.workflow import Action, Status

# Everything a status change may touch, saved together in one UPDATE.
_STATUS_FIELDS = (
    "status",
    "assignee",
    "resolved_at",
    "auto_close_at",
    "closed_at",
    "waiting_reason",
    "waiting_on",
    "resolution",
)


def _apply_status(
    ticket: Ticket,
    target: Status,
    *,
    actor: User | None,
    at: dt.datetime,
    action: Action,
    comment: Comment | None,
    **data: object,
) -> None:
    previous = Status(ticket.status)
    ticket.status = target
    if target == Status.RESOLVED:
        ticket.resolved_at = at
        ticket.auto_close_at = at + dt.timedelta(days=ticket.desk.auto_close_days)
    elif previous == Status.RESOLVED:
        ticket.auto_close_at = None
        if target in workflow.OPEN_STATUSES:  # reopened by the customer's answer
            ticket.resolved_at = None
            ticket.resolution = ""
    if target in workflow.FINAL_STATUSES:
        ticket.closed_at = at
    if target != Status.WAITING_FOR_CUSTOMER:
        ticket.waiting_reason = ""
    if target != Status.WAITING_FOR_THIRD_PARTY:
        ticket.waiting_on = ""
    _touch(ticket, at, *_STATUS_FIELDS)
    _event(
        ticket,
        EventKind.STATUS_CHANGED,
        actor=actor,
        at=at,
        # The status change is public; an internal note stays on its own internal event.
        comment=comment if comment is not None and comment.is_public else None,
        action=str(action),
        from_status=previous,
        to_status=target,
        **data,
    )


def _customer_reply_target(ticket: Ticket, status: Status) -> Status:
    return workflow.customer_reply_target(
        status,
        has_assignee=ticket.assignee_id is not None,
        goes_to_in_progress_when_assigned=(
            ticket.desk.customer_reply_status == CustomerReplyStatus.IN_PROGRESS_IF_ASSIGNED
        ),
    )
