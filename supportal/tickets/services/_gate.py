"""The gate: the one place a ticket's status changes.

Every status change passes here, whoever asks: the workspace and the portal (through
``ticket_transition`` and a customer's ``ticket_comment_add``), inbound mail (a customer's
answer is a comment), bulk actions, the auto-close worker (``tickets_close_due``) and the SLA's
overdue-answer rule. It works in two halves, like a check and a do:

- :func:`transition_check` finds the row of ``workflow.TRANSITIONS`` for the action from the
  ticket's status and refuses when there is none, or when none of the actor's roles may take it
  (``Role.SYSTEM`` is checked like any other role). It is the only caller of
  ``workflow.find_transition``.
- :func:`transition_apply` applies the row: its declared effects (the actor becomes the
  assignee, the comment given with the action is internal), then the status with everything
  that goes with it (resolved and closed instants, the auto-close time, the waiting reason),
  then a follow-up close by the system when the row says so and the desk's delay is 0 days.
  It is the only writer of ``Ticket.status``.

Callers lock the ticket, resolve the actor's roles and validate their own inputs in between.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack

from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import PermissionRefused, TransitionRefused
from supportal.desks.models import CustomerReplyStatus
from supportal.tickets import workflow
from supportal.tickets.events import Assigned, Commented, StatusChanged
from supportal.tickets.models import Comment, Ticket
from supportal.tickets.services._common import _event, _touch
from supportal.tickets.workflow import Action, Role, Status, Transition


class StatusNote(TypedDict, total=False):
    """What a status change's event tells beside the move itself (``events.StatusChanged``)."""

    reason: str  # the waiting reason, when asking the customer
    resolution: str  # when resolving


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


def transition_check(ticket: Ticket, action: Action, roles: frozenset[Role]) -> Transition:
    """The table's row for ``action`` from the ticket's status, if these roles may take it.

    A row whose target is None (a customer's comment while support works) is returned too: it
    is allowed and changes nothing. Refusals: TransitionRefused when the table has no row,
    PermissionRefused when it has one for other roles.
    """
    status = Status(ticket.status)
    transition = workflow.find_transition(action, status)
    if transition is None:
        # One sentence for every action: word order and agreement differ per language, so an
        # action's name is not spliced into a sentence.
        raise TransitionRefused(
            _("This is not possible while the request is “%(status)s”.") % {"status": status.label}
        )
    if not transition.roles & roles:
        raise PermissionRefused(_("You may not do this on this request."))
    return transition


def transition_apply(
    ticket: Ticket,
    transition: Transition,
    *,
    actor: User | None,
    at: dt.datetime,
    comment_text: str = "",
    comment: Comment | None = None,
    **data: Unpack[StatusNote],
) -> Comment | None:
    """Apply a checked row to the locked ticket; return the comment written with it, if any.

    ``comment_text`` becomes a comment (internal when the row says so); ``comment`` is one the
    caller already wrote (a customer's answer). Side effects: ASSIGNED, COMMENTED and
    STATUS_CHANGED events; a row without a target only touches the ticket.
    """
    if transition.assigns_actor:
        # Only people's rows assign (workflow.py: no SYSTEM row takes a ticket).
        assert actor is not None, transition
        ticket.assignee = actor
        _event(ticket, Assigned(assignee_id=actor.pk), actor=actor, at=at)
    if comment_text:
        is_public = not transition.comment_is_internal
        comment = Comment.objects.create(
            ticket=ticket, author=actor, body=comment_text, is_public=is_public, created_at=at
        )
        _event(ticket, Commented(), actor=actor, at=at, comment=comment, is_public=is_public)
    if transition.target is None:
        _touch(ticket, at)
        return comment
    target = transition.target
    if target == workflow.CUSTOMER_REPLY_TARGET:
        target = _customer_reply_target(ticket)
    _status_write(
        ticket,
        Status(target),
        actor=actor,
        at=at,
        action=transition.action,
        comment=comment,
        **data,
    )
    if transition.closes_without_delay and ticket.desk.auto_close_days == 0:
        closing = transition_check(ticket, Action.CLOSE, frozenset({Role.SYSTEM}))
        transition_apply(ticket, closing, actor=None, at=at)
    return comment


# The action an imported status change records: it happened in another system, under that
# system's rules, so no row of the table applies (docs/import.md).
IMPORTED_ACTION = "imported"


def transition_import_apply(
    ticket: Ticket, target: Status, *, actor: User | None, at: dt.datetime, resolution: str = ""
) -> None:
    """Write a status change another system recorded, as it happened there: the locked
    ticket's status with what goes with it (resolved and closed instants, the auto-close time),
    without the table's check, since that system's workflow allowed it. Only
    ``tickets.services.imports`` calls this. Side effects: a STATUS_CHANGED event (the SLA
    clocks hear it); nothing when the status is already ``target``."""
    if Status(ticket.status) == target:
        return
    if target == Status.RESOLVED and resolution:
        ticket.resolution = resolution
    data: StatusNote = (
        {"resolution": resolution} if target == Status.RESOLVED and resolution else {}
    )
    _status_write(ticket, target, actor=actor, at=at, action=IMPORTED_ACTION, comment=None, **data)
    if ticket.auto_close_at is not None and ticket.auto_close_at <= timezone.now():
        # Resolved long ago and left so by the old system: the auto-close worker would close
        # it now and tell the customer, years late. It stays resolved, as it was there.
        ticket.auto_close_at = None
        ticket.save(update_fields=["auto_close_at"])


def _customer_reply_target(ticket: Ticket) -> Status:
    return workflow.customer_reply_target(
        Status(ticket.status),
        has_assignee=ticket.assignee_id is not None,
        goes_to_in_progress_when_assigned=(
            ticket.desk.customer_reply_status == CustomerReplyStatus.IN_PROGRESS_IF_ASSIGNED
        ),
    )


def _status_write(
    ticket: Ticket,
    target: Status,
    *,
    actor: User | None,
    at: dt.datetime,
    action: Action | str,
    comment: Comment | None,
    **data: Unpack[StatusNote],
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
        StatusChanged(action=str(action), from_status=previous, to_status=target, **data),
        actor=actor,
        at=at,
        comment=comment if comment is not None and comment.is_public else None,
    )
