"""Workflow actions: agents', customers' and the system's."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import DomainError, InvalidInput
from supportal.tickets.models import (
    Comment,
    Ticket,
)
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.services._common import _lock, _now, _roles_of, _text_changed
from supportal.tickets.services._gate import StatusNote, transition_apply, transition_check
from supportal.tickets.services.comments import ticket_comment_add
from supportal.tickets.workflow import Action, Status, Transition, WaitingReason

logger = logging.getLogger("supportal.tickets")


def ticket_transition(
    *,
    ticket: Ticket,
    actor: User | None,
    action: Action,
    comment: str = "",
    reason: WaitingReason | str = "",
    third_party: str = "",
    resolution: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Move a ticket through the workflow table. ``actor=None`` is the system (auto-close).

    Request info needs a public comment (and a reason); waiting for a third party needs a note
    saying whom; resolve needs a resolution text. Side effects: STATUS_CHANGED (and COMMENTED)
    events, the search index when text was added.
    """
    action = Action(action)
    if action == Action.CUSTOMER_REPLY:
        # A customer's answer is a comment: ticket_comment_add applies that row of the table.
        raise InvalidInput(_("A customer answers with a comment."), field="comment")
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        # Before the table: a refusal must not tell a stranger the ticket's status.
        roles = _roles_of(actor, ticket)
        transition = transition_check(ticket, action, roles)
        comment_text = (comment or "").strip()
        resolution_before = ticket.resolution
        data = _inputs_apply(
            ticket,
            transition,
            comment_text=comment_text,
            reason=reason,
            third_party=third_party,
            resolution=resolution,
        )
        written = transition_apply(
            ticket,
            transition,
            actor=actor,
            at=at,
            comment_text="" if transition.comment_is_resolution else comment_text,
            **data,
        )
        _index(
            ticket,
            written,
            is_read_back=bool(data.get("resolution"))
            or (bool(comment_text) and ticket.resolution != resolution_before),
        )
    return ticket


def _index(ticket: Ticket, written: Comment | None, *, is_read_back: bool) -> None:
    """The search document after a transition: read back when the ticket's own text changed
    (a resolution written or cleared), the new comment's words appended when it is the whole
    change (one statement instead of three, as for any comment; docs/performance.md, "Ninth
    round: the write paths of a request")."""
    if is_read_back:
        _text_changed(ticket)
    elif written is not None:
        _text_changed(ticket, comment=written)


def _inputs_apply(
    ticket: Ticket,
    transition: Transition,
    *,
    comment_text: str,
    reason: WaitingReason | str,
    third_party: str,
    resolution: str,
) -> StatusNote:
    """Check what the row needs and set it on the ticket; return what the status event tells."""
    data: StatusNote = {}
    if transition.needs_public_comment:
        if not comment_text:
            raise InvalidInput(
                _("Write what you need from the customer: the comment is sent to them."),
                field="comment",
            )
        ticket.waiting_reason = reason or WaitingReason.INFORMATION_NEEDED
        if ticket.waiting_reason not in WaitingReason.values:
            raise InvalidInput(_("Unknown waiting reason."), field="reason")
        data["reason"] = ticket.waiting_reason
    if transition.needs_note:
        third_party = (third_party or "").strip()
        if not third_party:
            raise InvalidInput(
                _("Say which third party the request waits for."), field="third_party"
            )
        ticket.waiting_on = third_party[:200]
        # Not in the event's data: the status event is public, and whom we wait for (a
        # partner, another department) is the support team's business.
    resolution = (resolution or "").strip()
    if transition.needs_resolution and not resolution:
        raise InvalidInput(_("Write the resolution: the customer reads it."), field="resolution")
    if transition.comment_is_resolution:
        resolution = comment_text or resolution
    if resolution:
        ticket.resolution = resolution
        data["resolution"] = resolution
    return data


def tickets_close_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Close resolved tickets whose auto-close time has come (the worker runs this).

    Each ticket is closed in its own transaction through the workflow; rows locked by another
    worker are skipped, and a ticket reopened meanwhile is left alone by the status check.
    """
    at = _now(now)
    closed = 0
    due_ids = list(
        Ticket.objects.filter(status=Status.RESOLVED, auto_close_at__lte=at)
        .order_by("auto_close_at")
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in due_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("desk")
                .filter(pk=ticket_id, status=Status.RESOLVED, auto_close_at__lte=at)
                .first()
            )
            if ticket is None:
                continue
            try:
                closing = transition_check(ticket, Action.CLOSE, ticket_roles(None, ticket))
            except DomainError as exc:
                logger.warning("could not close %s: %s", ticket.reference, exc)
                continue
            transition_apply(ticket, closing, actor=None, at=at)
            closed += 1
    return closed


def ticket_third_party_answer_record(
    *, ticket: Ticket, actor: User, answer: str = "", now: dt.datetime | None = None
) -> Ticket:
    """Record what the third party answered (an internal note, when given) and resume work.

    Both happen or neither. Side effects: those of ``ticket_comment_add`` and
    ``ticket_transition`` (THIRD_PARTY_ANSWERED).
    """
    with transaction.atomic():
        # Each service takes its time under the ticket's lock (services._common._lock).
        if (answer or "").strip():
            ticket_comment_add(ticket=ticket, author=actor, body=answer, is_public=False, now=now)
        return ticket_transition(
            ticket=ticket, actor=actor, action=Action.THIRD_PARTY_ANSWERED, now=now
        )
