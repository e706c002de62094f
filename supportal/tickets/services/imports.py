"""Writing another system's history: requests, comments, files and status changes as they
happened there (``supportal.imports`` calls these; docs/import.md).

The same rows and events as the interactive services — so the search documents, the SLA
clocks, the timeline and the permissions come out as for a request made here — with the
original instants, the original number when asked, and no workflow check: the old system's
workflow allowed what it recorded. They tell no one: callers run them inside
``core.quiet.quietly``, which the notification and webhook listeners honour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk, Priority, RequestType
from supportal.tickets.events import Assigned, Commented, Created, FeedbackGiven
from supportal.tickets.models import (
    DETAILS_MAX_LENGTH,
    Attachment,
    Comment,
    Feedback,
    SubmissionMethod,
    Ticket,
)
from supportal.tickets.services._common import _clean_text, _event, _lock, _text_changed, _touch
from supportal.tickets.services._gate import transition_import_apply
from supportal.tickets.services.attachments import NewAttachment, _attachments_add
from supportal.tickets.services.create import _next_number
from supportal.tickets.services.people import _participant_add
from supportal.tickets.workflow import Status


def _number_take(desk: Desk, number: int | None) -> int:
    """``number`` when the desk has no request with it yet, the desk's counter moved past it
    (so new requests continue after the highest imported one); else the desk's next number."""
    if number is None or number <= 0 or desk.tickets.filter(number=number).exists():
        return _next_number(desk)
    Desk.objects.filter(pk=desk.pk, last_ticket_number__lt=number).update(last_ticket_number=number)
    return number


def ticket_import_create(
    *,
    desk: Desk,
    requester: User,
    summary: str,
    details: str,
    created_at: dt.datetime,
    number: int | None = None,
    submission_method: SubmissionMethod = SubmissionMethod.EMAIL,
    request_type: RequestType | None = None,
    priority: Priority | None = None,
    participants: Sequence[User] = (),
    custom_fields: dict[str, object] | None = None,
) -> Ticket:
    """Register an imported request as it was created, ``number`` kept when free.

    The summary is cut to the desk's limit and the details to the field's, not refused:
    an import keeps what it can. Side effects: a CREATED event at ``created_at`` (the SLA
    clocks start then), participants, the search document.
    """
    summary = " ".join((summary or "").split())[: desk.summary_max_length] or _("(no summary)")
    details = (details or "").strip()[:DETAILS_MAX_LENGTH]
    with transaction.atomic():
        ticket = Ticket(
            desk=desk,
            summary=summary,
            details=details,
            request_type=request_type,
            priority=priority,
            requester=requester,
            organization_id=requester.organization_id,
            submission_method=submission_method,
            custom_fields=dict(custom_fields or {}),
            created_at=created_at,
            updated_at=created_at,
        )
        ticket.number = _number_take(desk, number)
        ticket.reference = f"{desk.key}-{ticket.number}"
        ticket.save(force_insert=True)
        _event(
            ticket,
            Created(status=ticket.status, submission_method=submission_method),
            actor=requester,
            at=created_at,
        )
        for person in participants:
            # The old system shared it with them: kept, whatever their company (agents are
            # never participants here).
            if person.pk != requester.pk and not (person.is_agent or person.is_superuser):
                _participant_add(
                    ticket, person, actor=requester, at=created_at, outsider_allowed=True
                )
        _text_changed(ticket, is_new=True)
    return ticket


def ticket_import_comment(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    is_public: bool,
    created_at: dt.datetime,
    attachments: Sequence[NewAttachment] = (),
) -> Comment:
    """Add an imported comment (public or internal) with its files, at its original time.

    Changes no status (the imported status history does). Side effects: COMMENTED and
    ATTACHMENT_ADDED events, stored files, the search document.
    """
    body = _clean_text(
        body, field="body", label=_("Comment"), max_length=DETAILS_MAX_LENGTH * 4, required=False
    )
    if not body and not attachments:
        raise InvalidInput(_("Write a comment or attach a file."), field="body")
    with transaction.atomic():
        ticket = _lock(ticket)
        comment = Comment.objects.create(
            ticket=ticket,
            author=author,
            body=body,
            is_public=is_public,
            via=SubmissionMethod.EMAIL,
            created_at=created_at,
        )
        _event(
            ticket, Commented(), actor=author, at=created_at, comment=comment, is_public=is_public
        )
        _attachments_add(
            ticket,
            attachments,
            uploaded_by=author,
            comment=comment,
            is_internal=not is_public,
            at=created_at,
        )
        if created_at > ticket.updated_at:
            _touch(ticket, created_at)
        _text_changed(ticket, comment=comment)
    return comment


def ticket_import_status(
    *,
    ticket: Ticket,
    actor: User | None,
    status: Status,
    at: dt.datetime,
    resolution: str = "",
) -> Ticket:
    """Record a status change of the old system at its time, through the gate's import
    half. Side effects: a STATUS_CHANGED event (the SLA clocks pause, resume and stop)."""
    with transaction.atomic():
        ticket = _lock(ticket)
        transition_import_apply(ticket, status, actor=actor, at=at, resolution=resolution)
        if resolution:
            _text_changed(ticket)
    return ticket


def ticket_import_assign(*, ticket: Ticket, assignee: User, at: dt.datetime) -> Ticket:
    """Record who worked the request (the old system's assignee). Side effects: an ASSIGNED
    event (the first-response clock is met when the SLA says so)."""
    with transaction.atomic():
        ticket = _lock(ticket)
        if ticket.assignee_id == assignee.pk:
            return ticket
        previous = ticket.assignee_id
        ticket.assignee = assignee
        ticket.save(update_fields=["assignee"])
        _event(
            ticket,
            Assigned(assignee_id=assignee.pk, previous_assignee_id=previous),
            actor=assignee,
            at=at,
        )
    return ticket


def ticket_import_feedback(
    *, ticket: Ticket, given_by: User, rating: int, message: str, at: dt.datetime
) -> Feedback | None:
    """Record the customer's rating of the old system (1 to 5; others are left out). Side
    effects: the Feedback row and a FEEDBACK_GIVEN event."""
    if not 1 <= rating <= 5 or Feedback.objects.filter(ticket=ticket).exists():
        return None
    with transaction.atomic():
        feedback = Feedback.objects.create(
            ticket=ticket, rating=rating, message=message[:4000], given_by=given_by, created_at=at
        )
        _event(ticket, FeedbackGiven(rating=rating), actor=given_by, at=at)
    return feedback


def ticket_import_files(
    *, ticket: Ticket, uploaded_by: User | None, files: Sequence[NewAttachment], at: dt.datetime
) -> list[Attachment]:
    """Attach files the old system kept on the request itself (not on a comment), at their
    time. Side effects: ATTACHMENT_ADDED events and the stored files."""
    with transaction.atomic():
        ticket = _lock(ticket)
        return _attachments_add(
            ticket, files, uploaded_by=uploaded_by, comment=None, is_internal=False, at=at
        )
