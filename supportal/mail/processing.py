"""Inbound e-mail, step two: a stored message becomes a request, a comment, or is set aside.

A stored :class:`InboundMessage` is claimed (by the worker queue ``mail.inbound``, by
``ingest_email`` right after storing, or by ``process_inbound``) and processed in one
transaction together with the row's outcome: a crash in the middle rolls everything back and
the row is claimed again once its lease passes, so every message is processed exactly once.
An exception leaves the row FAILED with the error; it can be processed again after a fix.

Order of decisions (docs/email.md):

1. machine-written mail (our own mail coming back, bounces, read receipts, auto-replies) is
   ignored — a hard bounce holds the address, a bounce of our mail is noted on its request;
2. a second copy of a Message-ID already stored is ignored;
3. threading: reply token, then In-Reply-To/References, then a reference in the subject — each
   only when the sender may see that request, else the mail is quarantined;
4. otherwise a new request on the mailbox's desk (rate-limited per sender).
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.languages import language_detect, recipient_language
from supportal.accounts.models import User
from supportal.accounts.selectors import organization_for_email
from supportal.core.formats import file_size
from supportal.core.jobs import claim_due
from supportal.desks.models import Desk
from supportal.mail.content import MailPart, ParsedMail, mail_parse
from supportal.mail.inbound import served_address
from supportal.mail.loops import Noise, noise_detect
from supportal.mail.models import InboundMessage, InboundState, OutboundEmail
from supportal.mail.outbox import email_queue
from supportal.mail.quotes import reply_text
from supportal.tickets.models import SubmissionMethod, Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import FINAL_STATUSES, Role

logger = logging.getLogger("supportal.mail.inbound")

BATCH_SIZE = 20
CLAIM_LEASE_DURATION = timedelta(minutes=10)
LAST_ERROR_MAX_LENGTH = 4000
# A runaway mailer (or a loop we did not recognise) must not open hundreds of requests.
NEW_REQUESTS_PER_SENDER_PER_HOUR = 10
CLOSED_REPLY_REPEAT_DURATION = timedelta(hours=24)
_SUBJECT_REFERENCE = re.compile(r"\[?\b([A-Z][A-Z0-9]{0,15}-\d{1,9})\b\]?")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|sv|vs|odp|ré|răspuns|raspuns|redirecționat)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


class _LeaseLost(Exception):
    """Another worker claimed the row after our lease ran out; the outcome is theirs."""


@dataclass
class Outcome:
    state: InboundState
    result: str  # created, commented, noted, ignored, quarantined
    reason: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "reason": self.reason,
            "reference": self.reference,
            **self.extra,
        }


# Why a message waits for an agent. The outcome keeps the English ``reason`` for logs and the
# command line, and a code with its values so that pages show the reason in the reader's
# language (``quarantine_reason``).
QUARANTINE_REASONS = {
    "no_sender": gettext_lazy("The message names no sender."),
    "may_not_see": gettext_lazy("%(sender)s may not see %(reference)s, which the message names."),
    "no_desk": gettext_lazy("No desk receives mail at these addresses."),
    "agent_without_request": gettext_lazy("An agent's mail that names no request."),
    "deactivated": gettext_lazy("%(sender)s is a deactivated account."),
    "rate_limited": gettext_lazy(
        "%(sender)s opened %(count)s requests by e-mail in the last hour."
    ),
}


def quarantine_reason(outcome: dict[str, Any]) -> str:
    """The reason a message was quarantined, in the active language. Pure."""
    label = QUARANTINE_REASONS.get(outcome.get("reason_code", ""))
    if label is None:
        return str(outcome.get("reason", ""))
    return str(label) % outcome.get("reason_params", {})


def outcome_describe(message: InboundMessage) -> str:
    """One line for people: what became of a stored message. Pure."""
    outcome = message.outcome or {}
    result = outcome.get("result", "")
    reference = outcome.get("reference", "")
    reason = outcome.get("reason", "")
    if message.state == InboundState.FAILED:
        return f"failed: {message.last_error.splitlines()[-1] if message.last_error else ''}"
    if message.state == InboundState.RECEIVED:
        return "stored, waiting to be processed"
    if result == "created":
        return f"new request {reference}"
    if result in {"commented", "noted"}:
        kind = "comment" if result == "commented" else "internal note"
        return f"{kind} on {reference}" + (f" ({reason})" if reason else "")
    return f"{result}: {reason}" + (f" ({reference})" if reference else "")


# --- Claiming and recording -----------------------------------------------------------------


def _claim_one(pk: int, *, states: tuple[str, ...], now: datetime) -> InboundMessage | None:
    token = uuid.uuid4().hex
    claimed = (
        InboundMessage.objects.filter(pk=pk, state__in=states)
        .filter(Q(claim_token="") | Q(next_attempt_at__lte=now))
        .update(
            state=InboundState.RECEIVED,
            claim_token=token,
            attempts=F("attempts") + 1,
            next_attempt_at=now + CLAIM_LEASE_DURATION,
        )
    )
    return InboundMessage.objects.get(pk=pk) if claimed else None


def inbound_process_one(
    pk: int, *, again: bool = False, decision: str = "", now: datetime | None = None
) -> InboundMessage:
    """Process the stored message ``pk`` now, if it is waiting (or, with ``again``, also when
    it failed or was quarantined). ``decision`` is an agent's choice for a quarantined message:
    "attach" (to the request it names) or "new" (a new request). Returns the row as it ends.
    Side effects: those of processing (see the module docstring)."""
    now = now or timezone.now()
    states: tuple[str, ...] = (InboundState.RECEIVED,)
    if again or decision:
        states += (InboundState.FAILED, InboundState.QUARANTINED)
    message = _claim_one(pk, states=states, now=now)
    if message is not None:
        inbound_process(message, now=now, decision=decision)
    return InboundMessage.objects.get(pk=pk)


def inbound_process_due(now: datetime) -> int:
    """The worker queue ``mail.inbound``: claim up to BATCH_SIZE stored messages and process
    them. Returns how many were handled."""
    messages = claim_due(
        InboundMessage.objects.filter(state=InboundState.RECEIVED),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
    )
    for message in messages:
        inbound_process(message, now=now)
    return len(messages)


def inbound_process(
    message: InboundMessage, *, now: datetime | None = None, decision: str = ""
) -> Outcome | None:
    """Process one claimed message (its ``claim_token`` set). The outcome and every change it
    causes are committed together; an exception rolls them back and leaves the row FAILED with
    the error. Returns the outcome, or None when the row failed or our claim was lost."""
    now = now or timezone.now()
    token = message.claim_token
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            outcome = _decide(message, now=now, decision=decision)
            updated = InboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
                state=outcome.state,
                outcome=outcome.as_json(),
                processed_at=now,
                last_error="",
                claim_token="",
            )
            if not updated:
                raise _LeaseLost
    except _LeaseLost:
        return None
    except Exception:
        error = traceback.format_exc()[-LAST_ERROR_MAX_LENGTH:]
        logger.exception("inbound message #%s failed", message.pk)
        InboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
            state=InboundState.FAILED, last_error=error, claim_token=""
        )
        return None
    return outcome


def inbound_discard(message: InboundMessage, *, reason: str) -> None:
    """An agent's "discard" for a quarantined or failed message: kept, marked ignored."""
    InboundMessage.objects.filter(pk=message.pk).update(
        state=InboundState.IGNORED,
        outcome={**(message.outcome or {}), "result": "ignored", "reason": reason},
        claim_token="",
    )


# --- Deciding --------------------------------------------------------------------------------


def _ignored(reason: str, **extra: Any) -> Outcome:
    return Outcome(InboundState.IGNORED, "ignored", reason, extra=extra)


def _quarantined(
    reason: str,
    reference: str = "",
    *,
    code: str,
    params: dict[str, Any] | None = None,
    **extra: Any,
) -> Outcome:
    extra = {**extra, "reason_code": code, "reason_params": params or {}}
    return Outcome(InboundState.QUARANTINED, "quarantined", reason, reference, extra=extra)


def _sender(mail: ParsedMail, message: InboundMessage) -> str:
    if mail.from_address:
        return mail.from_address
    envelope = message.envelope_from.strip().strip("<>").lower()
    return envelope if "@" in envelope else ""


def _our_sender() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _decide(message: InboundMessage, *, now: datetime, decision: str) -> Outcome:
    raw = bytes(message.raw)
    mail = mail_parse(raw)
    sender = _sender(mail, message)
    base: dict[str, Any] = {"sender": sender, "subject": mail.subject[:200]}

    first = (
        InboundMessage.objects.filter(message_id=message.message_id).order_by("pk").first()
        if message.message_id
        else None
    )
    if first is not None and first.pk != message.pk:
        return _ignored(f"a second copy of message #{first.pk}", duplicate_of=first.pk, **base)

    own_ids = (
        set(
            OutboundEmail.objects.filter(message_id=mail.message_id).values_list(
                "message_id", flat=True
            )
        )
        if mail.message_id
        else set()
    )
    noise = noise_detect(mail, own_message_ids=own_ids)
    if noise is not None:
        return _noise_handle(noise, mail, raw, now=now, base=base)
    desk = _desk_for(mail, message)
    # The desk whose mailbox received it: its agents decide what was quarantined.
    base["desk"] = desk.key if desk is not None else ""
    if not sender:
        return _quarantined("the message names no sender", code="no_sender", **base)
    if served_address(sender) is not None or sender == _our_sender():
        # Mail "from" one of our own mailboxes: a forwarding loop or a forgery; answering or
        # opening a request would feed the loop.
        return _ignored("sent from one of our own addresses", kind="own", **base)

    ticket, how = _thread(mail, message)
    user = User.objects.filter(email__iexact=sender).first()
    if decision == "attach" and ticket is None:
        ticket, how = _subject_ticket(mail), "the agent's decision"
    if ticket is not None:
        allowed = user is not None and _may_write(user, ticket, sender)
        if not allowed and ticket.contact_email and ticket.contact_email == sender:
            user, allowed = ticket.requester, True
        if decision == "attach" and user is None:
            user = _customer_for(
                sender, name=mail.from_name, now=now, desk=desk, text=_language_sample(mail)
            )
        if decision == "attach" or (allowed and decision != "new"):
            # An agent attaching a stranger's mail: kept as an internal note, which shows the
            # stranger nothing and lets the agent decide what to share.
            return _comment(
                ticket, user, mail, raw, how=how, now=now, base=base, as_note=not allowed
            )
        if decision != "new":
            return _quarantined(
                f"{sender} may not see {ticket.reference}, named by {how}",
                ticket.reference,
                code="may_not_see",
                params={"sender": sender, "reference": ticket.reference},
                **base,
            )
    if desk is None:
        return _quarantined("no desk receives mail at these addresses", code="no_desk", **base)
    if user is not None and (user.is_agent or user.is_superuser):
        return _quarantined(
            "an agent's mail that names no request", code="agent_without_request", **base
        )
    if user is not None and not user.is_active:
        return _quarantined(
            f"{sender} is a deactivated account",
            code="deactivated",
            params={"sender": sender},
            **base,
        )
    if user is None:
        user = _customer_for(
            sender, name=mail.from_name, now=now, desk=desk, text=_language_sample(mail)
        )
    recent = Ticket.objects.filter(
        requester=user,
        submission_method=SubmissionMethod.EMAIL,
        created_at__gte=now - timedelta(hours=1),
    ).count()
    if recent >= NEW_REQUESTS_PER_SENDER_PER_HOUR:
        return _quarantined(
            f"{sender} opened {recent} requests by e-mail in the last hour",
            code="rate_limited",
            params={"sender": sender, "count": recent},
            **base,
        )
    return _create(desk, user, mail, raw, now=now, base=base)


# --- Threading ------------------------------------------------------------------------------


def _all_recipients(mail: ParsedMail, message: InboundMessage) -> list[str]:
    found = []
    for address in [*message.recipients, *mail.delivered_to, *mail.to, *mail.cc]:
        address = address.strip().strip("<>").lower()
        if address and address not in found:
            found.append(address)
    return found


def _desk_for(mail: ParsedMail, message: InboundMessage) -> Desk | None:
    for address in _all_recipients(mail, message):
        desk = served_address(address)
        if desk is not None:
            return desk
    desks = Desk.objects.filter(is_active=True)
    if message.mailbox:
        desk = desks.filter(key=message.mailbox.upper()).first()
        if desk is not None:
            return desk
    # The default mailbox: the first desk that has one.
    return desks.exclude(email_address="").order_by("pk").first()


def _thread(mail: ParsedMail, message: InboundMessage) -> tuple[Ticket | None, str]:
    from supportal.notifications.services import reply_token_resolve

    for address in _all_recipients(mail, message):
        if "+" in address.split("@", 1)[0] and served_address(address) is not None:
            ticket = reply_token_resolve(address)
            if ticket is not None:
                return ticket, "its reply address"
    ids = [*mail.in_reply_to, *reversed(mail.references)]
    if ids:
        outbound = (
            OutboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if outbound is not None:
            return outbound.ticket, "In-Reply-To/References"
        root = re.compile(rf"^<ticket-(\d+)@{re.escape(settings.SUPPORTAL_MAIL_DOMAIN)}>$", re.I)
        for message_id in ids:
            found = root.match(message_id)
            if found:
                ticket = Ticket.objects.filter(pk=int(found.group(1))).first()
                if ticket is not None:
                    return ticket, "References"
    ticket = _subject_ticket(mail)
    if ticket is not None:
        return ticket, "the reference in the subject"
    return None, ""


def _subject_ticket(mail: ParsedMail) -> Ticket | None:
    references = _SUBJECT_REFERENCE.findall(mail.subject.upper())
    if not references:
        return None
    return Ticket.objects.filter(reference__in=references).order_by("pk").first()


def _may_write(user: User, ticket: Ticket, sender: str) -> bool:
    if not user.is_active:
        return False
    roles = ticket_roles(user, ticket) - {Role.SYSTEM}
    return bool(roles)


# --- People ---------------------------------------------------------------------------------


def _customer_for(
    address: str, *, name: str, now: datetime, desk: Desk | None, text: str = ""
) -> User:
    """The sender as a customer. Invited (seed 000's mail) only when their domain is a known
    company's or the receiving desk invites every sender (``Desk.invite_all_senders``):
    spammers and forged senders receive nothing; others can use "Forgot your password?"."""
    from supportal.accounts.services import customer_invite

    user = User.objects.filter(email__iexact=address).first()
    if user is not None:
        return user
    first, _sep, last = " ".join(name.split()).partition(" ")
    # The invitation goes out in the language the mail was written in (docs/languages.md).
    detected = language_detect(text)
    if organization_for_email(address) is not None or (
        desk is not None and desk.invite_all_senders
    ):
        user = customer_invite(email=address, invited_by=None, detected_language=detected, now=now)
    else:
        user = User.objects.create_user(address.lower(), password=None, detected_language=detected)
    if name and not (user.first_name or user.last_name):
        user.first_name, user.last_name = first[:150], last[:150]
        user.save(update_fields=["first_name", "last_name"])
    return user


def _language_sample(mail: ParsedMail) -> str:
    return f"{mail.subject}\n{reply_text(mail.text)}"


def _copied(ticket: Ticket, mail: ParsedMail, sender: str, author: User | None, now: datetime):
    """People in To/Cc: the requester's colleagues become participants; everyone else is
    returned, to be recorded for agents."""
    from supportal.tickets.services import participant_add

    others = []
    for address in [*mail.to, *mail.cc]:
        if address == sender or served_address(address) is not None:
            continue
        person = User.objects.filter(email__iexact=address, is_active=True).first()
        if person is not None and (person.is_agent or person.is_superuser):
            continue  # the support team sees the request anyway
        if (
            person is not None
            and ticket.organization_id is not None
            and person.organization_id == ticket.organization_id
            and ticket.status not in FINAL_STATUSES
        ):
            if person.pk != ticket.requester_id and author is not None:
                participant_add(ticket=ticket, actor=author, person=person, now=now)
            continue
        others.append(address)
    return others


# --- Content --------------------------------------------------------------------------------


def _files(desk: Desk, parts: list[MailPart]) -> tuple[list, list[str]]:
    from supportal.tickets.services import NewAttachment

    kept, notes = [], []
    for part in parts:
        name = part.name
        limit = desk.attachment_name_max_length
        if len(name) > limit:
            stem, dot, extension = name.rpartition(".")
            extension = extension[:10] if dot else ""
            name = (stem or name)[: max(1, limit - len(extension) - 1)] + (
                f".{extension}" if extension else ""
            )
        if not part.data:
            notes.append(_("“%(name)s” was empty and was not kept.") % {"name": part.name})
            continue
        if len(part.data) > desk.attachment_max_bytes:
            notes.append(
                _("“%(name)s” (%(size)s) is over the limit of %(limit)s and was not kept.")
                % {
                    "name": part.name,
                    "size": file_size(len(part.data)),
                    "limit": file_size(desk.attachment_max_bytes),
                }
            )
            continue
        upload = SimpleUploadedFile(name, part.data, content_type=part.content_type)
        kept.append(NewAttachment(file=upload, name=name))
    return kept, notes


def _original(raw: bytes):
    from supportal.tickets.services import NewAttachment

    upload = SimpleUploadedFile("original-message.eml", raw, content_type="message/rfc822")
    return NewAttachment(file=upload, name="original-message.eml")


def _details_note(
    ticket: Ticket, raw: bytes, *, notes: list[str], others: list[str], now: datetime
) -> None:
    """The agents' record of the mail: the full original, dropped files, other addressees."""
    from supportal.tickets.services import ticket_mail_note_add

    lines = [_("The e-mail as received is attached (original-message.eml).")]
    if others:
        lines.append(
            _("Also addressed (not on this request): %(addresses)s")
            % {"addresses": ", ".join(others)}
        )
    lines.extend(notes)
    ticket_mail_note_add(
        ticket=ticket, author=None, body="\n".join(lines), attachments=[_original(raw)], now=now
    )


def _summary(mail: ParsedMail, desk: Desk) -> str:
    subject = _SUBJECT_PREFIX.sub("", mail.subject).strip()
    subject = " ".join(subject.split()) or _("(no subject)")
    return subject[: desk.summary_max_length]


def _body(mail: ParsedMail) -> str:
    from supportal.tickets.models import DETAILS_MAX_LENGTH

    text = reply_text(mail.text)
    return text[:DETAILS_MAX_LENGTH]


def _create(
    desk: Desk, user: User, mail: ParsedMail, raw: bytes, *, now: datetime, base: dict
) -> Outcome:
    from supportal.tickets.services import ticket_create

    files, notes = _files(desk, mail.attachments)
    details = _body(mail) or _("(The e-mail had no text.)")
    ticket = ticket_create(
        desk=desk,
        requester=user,
        actor=user,
        summary=_summary(mail, desk),
        details=details,
        submission_method=SubmissionMethod.EMAIL,
        attachments=files,
        now=now,
    )
    others = _copied(ticket, mail, user.email, user, now)
    _details_note(ticket, raw, notes=notes, others=others, now=now)
    return Outcome(InboundState.PROCESSED, "created", "", ticket.reference, extra=base)


def _comment(
    ticket: Ticket,
    user: User,
    mail: ParsedMail,
    raw: bytes,
    *,
    how: str,
    now: datetime,
    base: dict,
    as_note: bool = False,
) -> Outcome:
    from supportal.tickets.services import ticket_comment_add, ticket_mail_note_add

    files, notes = _files(ticket.desk, mail.attachments)
    body = _body(mail)
    if not body and not files:
        body = _("(The e-mail had no text.)")
    is_support = bool({Role.AGENT, Role.TEAM_LEAD} & ticket_roles(user, ticket))
    if as_note:
        ticket_mail_note_add(ticket=ticket, author=user, body=body, attachments=files, now=now)
        _details_note(ticket, raw, notes=notes, others=[], now=now)
        return Outcome(
            InboundState.PROCESSED,
            "noted",
            "attached by an agent",
            ticket.reference,
            extra={**base, "threaded_by": how},
        )
    if ticket.status in FINAL_STATUSES:
        ticket_mail_note_add(ticket=ticket, author=user, body=body, attachments=files, now=now)
        _details_note(ticket, raw, notes=notes, others=[], now=now)
        replied = False if is_support else _closed_reply(ticket, user, mail, now=now)
        reason = f"{ticket.reference} is {ticket.get_status_display().lower()}; not reopened"
        return Outcome(
            InboundState.PROCESSED,
            "noted",
            reason,
            ticket.reference,
            extra={**base, "threaded_by": how, "replied": replied},
        )
    ticket_comment_add(
        ticket=ticket,
        author=user,
        body=body,
        via=SubmissionMethod.EMAIL,
        attachments=files,
        now=now,
    )
    ticket.refresh_from_db()
    others = _copied(ticket, mail, user.email, user, now)
    _details_note(ticket, raw, notes=notes, others=others, now=now)
    return Outcome(
        InboundState.PROCESSED,
        "commented",
        "",
        ticket.reference,
        extra={**base, "threaded_by": how},
    )


def _closed_reply(ticket: Ticket, user: User, mail: ParsedMail, *, now: datetime) -> bool:
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


# --- Noise ----------------------------------------------------------------------------------


def _noise_handle(
    noise: Noise, mail: ParsedMail, raw: bytes, *, now: datetime, base: dict
) -> Outcome:
    from supportal.notifications.services import address_suppress
    from supportal.tickets.services import ticket_mail_note_add

    extra: dict[str, Any] = {**base, "kind": noise.kind}
    reference = ""
    if noise.kind == "bounce":
        for address in noise.hard_bounce_addresses:
            address_suppress(email=address, detail=noise.diagnostic or mail.subject, now=now)
        extra["suppressed"] = noise.hard_bounce_addresses
        outbound = (
            OutboundEmail.objects.filter(
                message_id__in=noise.original_message_ids, ticket__isnull=False
            )
            .select_related("ticket")
            .first()
            if noise.original_message_ids
            else None
        )
        if outbound is not None:
            ticket = outbound.ticket
            reference = ticket.reference
            body = _("Mail to %(to)s could not be delivered.") % {"to": ", ".join(outbound.to)}
            if noise.diagnostic:
                body += "\n" + noise.diagnostic
            ticket_mail_note_add(
                ticket=ticket, author=None, body=body, attachments=[_original(raw)], now=now
            )
    outcome = _ignored(noise.reason, **extra)
    outcome.reference = reference
    return outcome
