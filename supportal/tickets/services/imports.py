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
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.desks.models import Desk, Priority, RequestType
from supportal.tickets.events import Assigned, Commented, Created, FeedbackGiven
from supportal.tickets.models import (
    DETAILS_MAX_LENGTH,
    Attachment,
    Comment,
    Feedback,
    SubmissionMethod,
    Ticket,
    priority_rank_of,
)
from supportal.tickets.services._common import (
    _clean_text,
    _event,
    _lock,
    _text_changed,
    _touch,
    events_deferred,
)
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
    with transaction.atomic(), events_deferred():
        ticket = Ticket(
            desk=desk,
            summary=summary,
            details=details,
            request_type=request_type,
            priority=priority,
            priority_rank=priority_rank_of(priority),
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


@dataclass(frozen=True)
class ImportedComment:
    """A comment (public or internal) with its files, as the old system recorded it."""

    author: User | None
    body: str
    is_public: bool
    at: dt.datetime
    attachments: Sequence[NewAttachment] = ()


@dataclass(frozen=True)
class ImportedStatus:
    """The request entered ``status`` at ``at`` (the resolution text when resolved)."""

    actor: User | None
    status: Status
    at: dt.datetime
    resolution: str = ""


@dataclass(frozen=True)
class ImportedAssignment:
    """The request was taken by ``assignee`` at ``at``."""

    assignee: User
    at: dt.datetime


@dataclass(frozen=True)
class ImportedFiles:
    """Files kept on the request itself (not on a comment)."""

    uploaded_by: User | None
    files: Sequence[NewAttachment]
    at: dt.datetime


ImportedStep = ImportedComment | ImportedStatus | ImportedAssignment | ImportedFiles


@dataclass(frozen=True)
class StepWritten:
    """What one step wrote: its comment (a comment step) and its files."""

    comment: Comment | None = None
    attachments: tuple[Attachment, ...] = ()


def ticket_import_history(*, ticket: Ticket, steps: Sequence[ImportedStep]) -> list[StepWritten]:
    """Replay what happened to a request in another system, step by step in the given (time)
    order, under one lock, with no workflow check: comments at their time (no status change
    follows from them: the imported status history says what did), status changes through the
    gate's import half, assignments, files. The search document is rebuilt once at the end.

    Side effects: COMMENTED, ATTACHMENT_ADDED, STATUS_CHANGED and ASSIGNED events at their
    original times (the SLA clocks hear them), stored files, the search document. Returns what
    each step wrote, in order.
    """
    written: list[StepWritten] = []
    # The listeners hear the whole history at once: the SLA clocks are read and written once.
    with transaction.atomic(), events_deferred():
        ticket, _locked_at = _lock(ticket, None)  # imported steps keep their original times
        latest = ticket.updated_at
        comments = _comments_create(ticket, [s for s in steps if isinstance(s, ImportedComment)])
        for step in steps:
            if isinstance(step, ImportedComment):
                written.append(_comment_write(ticket, step, comments[id(step)]))
            elif isinstance(step, ImportedFiles):
                files = _attachments_add(
                    ticket,
                    step.files,
                    uploaded_by=step.uploaded_by,
                    comment=None,
                    is_internal=False,
                    at=step.at,
                )
                written.append(StepWritten(attachments=tuple(files)))
            elif isinstance(step, ImportedStatus):
                resolution = step.resolution if step.status == Status.RESOLVED else ""
                transition_import_apply(
                    ticket, step.status, actor=step.actor, at=step.at, resolution=resolution
                )
                written.append(StepWritten())
            else:
                _assignment_write(ticket, step)
                written.append(StepWritten())
            latest = max(latest, step.at)
        if latest > ticket.updated_at:
            _touch(ticket, latest)
        if steps:
            _text_changed(ticket)
    return written


def _comments_create(ticket: Ticket, steps: Sequence[ImportedComment]) -> dict[int, Comment | None]:
    """The comments of the steps, written in one statement (None for a step with neither
    text nor files), by the step's id."""
    comments: dict[int, Comment | None] = {}
    for step in steps:
        body = _clean_text(
            step.body,
            field="body",
            label=_("Comment"),
            max_length=DETAILS_MAX_LENGTH * 4,
            required=False,
        )
        comments[id(step)] = (
            Comment(
                ticket=ticket,
                author=step.author,
                body=body,
                is_public=step.is_public,
                via=SubmissionMethod.EMAIL,
                created_at=step.at,
            )
            if body or step.attachments
            else None
        )
    Comment.objects.bulk_create([c for c in comments.values() if c is not None])
    return comments


def _comment_write(ticket: Ticket, step: ImportedComment, comment: Comment | None) -> StepWritten:
    if comment is None:
        return StepWritten()
    _event(
        ticket,
        Commented(),
        actor=step.author,
        at=step.at,
        comment=comment,
        is_public=step.is_public,
    )
    files = _attachments_add(
        ticket,
        step.attachments,
        uploaded_by=step.author,
        comment=comment,
        is_internal=not step.is_public,
        at=step.at,
    )
    return StepWritten(comment=comment, attachments=tuple(files))


def _assignment_write(ticket: Ticket, step: ImportedAssignment) -> None:
    if ticket.assignee_id == step.assignee.pk:
        return
    previous = ticket.assignee_id
    ticket.assignee = step.assignee
    ticket.save(update_fields=["assignee"])
    _event(
        ticket,
        Assigned(assignee_id=step.assignee.pk, previous_assignee_id=previous),
        actor=step.assignee,
        at=step.at,
    )


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
