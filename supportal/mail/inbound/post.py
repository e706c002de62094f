"""Writing a message into a request: a new request, a comment, or an internal note — always
through the ticket services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts.languages import recipient_language
from supportal.accounts.models import User
from supportal.desks.models import Desk
from supportal.mail.content import ParsedMail
from supportal.mail.inbound.content import body_of, details_record, mail_files, summary_of
from supportal.mail.inbound.outcome import Outcome
from supportal.mail.inbound.people import copied_people
from supportal.mail.models import InboundState, OutboundEmail
from supportal.mail.outbox import email_queue
from supportal.tickets.models import SubmissionMethod, Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import FINAL_STATUSES, Role

CLOSED_REPLY_REPEAT_DURATION = timedelta(hours=24)
# What a comment changes on its request (the status a customer's reply moves, the time) is
# taken from the request the service read under its lock; a comment never moves a request to
# another desk, so the desk in hand is kept.
_TAKEN: tuple[Any, ...] = tuple(  # with relations (their caches)
    field for field in Ticket._meta.concrete_fields if field.name not in ("id", "desk")
)


def _take_but_desk(ticket: Ticket, fresh: Ticket) -> None:
    """Set on ``ticket`` what ``fresh``, the same request read since, holds, but its desk; a
    relation ``fresh`` holds in hand is kept, one it does not is dropped (what
    ``refresh_from_db`` does, without a statement). After a comment, ``fresh`` is the request
    the service read under its lock and wrote every change on (the comment holds it; nothing
    writes the request's row behind it), so it is not read a third time (docs/performance.md,
    "Tenth round: the e-mail intake")."""
    for field in _TAKEN:
        setattr(ticket, field.attname, getattr(fresh, field.attname))
        if field.is_relation:
            if field.is_cached(fresh):
                field.set_cached_value(ticket, field.get_cached_value(fresh))
            elif field.is_cached(ticket):
                field.delete_cached_value(ticket)


# The line an agent starts a reply by mail with to make it public (docs/security.md).
PUBLIC_MARKER = "#public"


def agent_reply_public(body: str, *, desk: Desk) -> tuple[bool, str]:
    """Whether an agent's reply by mail is public, and its text without the marker. Pure."""
    first, _newline, rest = body.lstrip().partition("\n")
    if first.strip().lower() == PUBLIC_MARKER:
        return True, rest.strip()
    return desk.agent_mail_replies_public, body


def request_create(
    desk: Desk, user: User, mail: ParsedMail, *, now: datetime, base: dict
) -> Outcome:
    from supportal.tickets.services import ticket_create

    files, notes = mail_files(desk, mail.attachments)
    details = body_of(mail) or _("(The e-mail had no text.)")
    ticket = ticket_create(
        desk=desk,
        requester=user,
        actor=user,
        summary=summary_of(mail, desk),
        details=details,
        submission_method=SubmissionMethod.EMAIL,
        attachments=files,
        now=now,
    )
    others = copied_people(
        ticket, mail, user.email, user, now, is_verified=base.get("sender_verified", False)
    )
    too_large_reply(ticket, user, mail)
    extra = details_record(base, mail, notes=notes, others=others)
    return Outcome(
        InboundState.PROCESSED, "created", "", ticket.reference, extra=extra, ticket=ticket
    )


def comment_add(
    ticket: Ticket,
    user: User | None,
    mail: ParsedMail,
    *,
    how: str,
    now: datetime,
    base: dict,
    as_note: bool = False,
) -> Outcome:
    """Write the mail into the request it answers: a comment, or an internal note (``_note_add``)
    for an agent's attaching (``as_note``) or reply kept internal, or a closed request."""
    from supportal.tickets.services import ticket_comment_add

    files, notes = mail_files(ticket.desk, mail.attachments)
    body = body_of(mail)
    if not body and not files:
        body = _("(The e-mail had no text.)")
    is_support = user is not None and bool(
        {Role.AGENT, Role.TEAM_LEAD} & ticket_roles(user, ticket)
    )
    note_reason = "attached by an agent" if as_note else ""
    if is_support and not as_note:
        # An agent answering a notification by mail: an internal note unless the desk makes
        # such replies public or the agent asked for it (docs/security.md).
        public, body = agent_reply_public(body, desk=ticket.desk)
        if not public:
            note_reason = "an agent's reply by mail"
    if note_reason or user is None or ticket.status in FINAL_STATUSES:  # None: an attached forgery
        return _note_add(
            ticket,
            user,
            mail,
            _Note(body=body, files=files, notes=notes, reason=note_reason, is_support=is_support),
            how=how,
            now=now,
            base=base,
        )
    comment = ticket_comment_add(
        ticket=ticket,
        author=user,
        body=body,
        via=SubmissionMethod.EMAIL,
        attachments=files,
        now=now,
    )
    _take_but_desk(ticket, comment.ticket)  # what the comment changed; see there
    others = copied_people(
        ticket, mail, user.email, user, now, is_verified=base.get("sender_verified", False)
    )
    too_large_reply(ticket, user, mail)
    return Outcome(
        InboundState.PROCESSED,
        "commented",
        "",
        ticket.reference,
        extra=details_record({**base, "threaded_by": how}, mail, notes=notes, others=others),
        ticket=ticket,
        comment=comment,
    )


@dataclass
class _Note:
    """What an internal note made of a mail holds, and why it is a note ("" for a request
    that is closed or cancelled)."""

    body: str
    files: list  # of tickets.services.NewAttachment (mail_files)
    notes: list[str]
    reason: str
    is_support: bool


def _note_add(
    ticket: Ticket,
    user: User | None,
    mail: ParsedMail,
    note: _Note,
    *,
    how: str,
    now: datetime,
    base: dict,
) -> Outcome:
    """Keep the mail as an internal note: for the reason given, or because the request is
    closed or cancelled, which a mail does not reopen (the customer is told so, once)."""
    from supportal.tickets.services import ticket_mail_note_add

    comment = ticket_mail_note_add(
        ticket=ticket, author=user, body=note.body, attachments=note.files, now=now
    )
    reason, extra = note.reason, {**base, "threaded_by": how}
    if not reason:
        # Only a note with no reason of its own has a writer (a note by nobody is an agent's
        # attaching, which has one) to tell that the request is closed.
        extra["replied"] = (
            False if note.is_support or user is None else closed_reply(ticket, user, mail, now=now)
        )
        reason = f"{ticket.reference} is {ticket.get_status_display().lower()}; not reopened"
    return Outcome(
        InboundState.PROCESSED,
        "noted",
        reason,
        ticket.reference,
        extra=details_record(extra, mail, notes=note.notes, others=[]),
        ticket=ticket,
        comment=comment,
    )


def too_large_reply(ticket: Ticket, user: User, mail: ParsedMail) -> bool:
    """Tell the sender, in their language, which of their files were over the desk's limit and
    where large files go (docs/languages.md#customers-who-only-use-e-mail). Agents read the note
    instead; an automatic answer is never answered."""
    desk = ticket.desk
    files = [
        (part.name, len(part.data))
        for part in mail.attachments
        if part.data and len(part.data) > desk.attachment_max_bytes
    ]
    if not files or user.is_agent or user.is_superuser:
        return False
    email_queue(
        to=user.email,
        template="inbound_too_large",
        context={
            "ticket": ticket,
            "recipient": user,
            "desk": desk,
            "files": files,
            "view_url": f"{settings.SUPPORTAL_BASE_URL}"
            f"{reverse('portal:request', args=[ticket.reference])}",
        },
        language=recipient_language(user, desk=desk),
        ticket=ticket,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        in_reply_to=mail.message_id or None,
    )
    return True


def closed_reply(ticket: Ticket, user: User, mail: ParsedMail, *, now: datetime) -> bool:
    """One reply per person and request a day: this request is closed, write a new one."""
    address = user.email.lower()
    recent = OutboundEmail.objects.filter(
        template="inbound_closed", ticket=ticket, created_at__gte=now - CLOSED_REPLY_REPEAT_DURATION
    ).values_list("to", flat=True)
    if any(address in [a.lower() for a in to] for to in recent):
        return False
    desk_address = ticket.desk.email_address or settings.DEFAULT_FROM_EMAIL
    email_queue(
        to=address,
        template="inbound_closed",
        context={"ticket": ticket, "recipient": user, "desk_address": desk_address},
        language=recipient_language(user, desk=ticket.desk),
        ticket=ticket,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        in_reply_to=mail.message_id or None,
    )
    return True
