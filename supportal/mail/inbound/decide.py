"""The order of decisions for one stored message (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.desks.models import Desk, UnverifiedSenderMail
from supportal.mail.content import ParsedMail, mail_parse
from supportal.mail.inbound.auth import Verdict
from supportal.mail.inbound.listeners import HardBounce, bounce_listeners
from supportal.mail.inbound.outcome import Decision, Outcome, ignored, quarantined
from supportal.mail.inbound.people import customer_for, language_sample
from supportal.mail.inbound.post import comment_add, request_create
from supportal.mail.inbound.rows import (
    is_discarded,
    message_id_facts,
    requests_opened_by_mail,
    user_by_address,
)
from supportal.mail.inbound.store import served_address
from supportal.mail.inbound.threads import (
    Thread,
    desk_for,
    may_write,
    subject_ticket,
    thread_find,
)
from supportal.mail.loops import Noise, noise_detect
from supportal.mail.models import InboundMessage, OutboundEmail
from supportal.tickets.models import Ticket

# A runaway mailer (or a loop we did not recognise) must not open hundreds of requests.
NEW_REQUESTS_PER_SENDER_PER_HOUR = 10


def _sender(mail: ParsedMail, message: InboundMessage) -> str:
    if mail.from_address:
        return mail.from_address
    envelope = message.envelope_from.strip().strip("<>").lower()
    return envelope if "@" in envelope else ""


def _our_sender() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()


def _sender_ignored(
    sender: str, desk: Desk | None, decision: Decision, base: dict[str, Any]
) -> Outcome | None:
    """Mail ignored for who sent it, whatever it says."""
    if served_address(sender) is not None or sender == _our_sender():
        # Mail "from" one of our own mailboxes: a forwarding loop or a forgery; answering or
        # opening a request would feed the loop.
        return ignored("sent from one of our own addresses", kind="own", **base)
    if desk is not None and not decision and is_discarded(desk, sender.lower()):
        # An agent chose "always discard from this sender" for this desk (mail/quarantine.py).
        return ignored(f"{sender} is always discarded by {desk.key}", kind="discarded", **base)
    return None


@dataclass
class _Writer:
    """Who wrote a message, as far as it can be told: the account of the sender's address
    (None: no account, or an unverified agent whose mail an agent's decision keeps), whether
    the sender is proven, and whether the address is an agent's."""

    user: User | None
    is_authenticated: bool
    claims_agent: bool


@dataclass
class _Context:
    """What the last steps of ``decide`` share: the receiving desk, the time, the outcome's
    common fields, and whether what is written is marked "sender not verified"."""

    desk: Desk | None
    now: datetime
    base: dict[str, Any]
    marked: bool


def decide(
    message: InboundMessage, *, now: datetime, decision: Decision, verdict: Verdict
) -> Outcome:
    """What becomes of one stored message, in order: a second copy, noise (auto-replies,
    bounces, loops), a sender to ignore, an unverified sender, then a comment on the request
    it answers, else a new request (docs/email.md)."""
    mail = mail_parse(bytes(message.raw))
    sender = _sender(mail, message)
    base: dict[str, Any] = {"sender": sender, "subject": mail.subject[:200]}

    # The first stored copy of its Message-ID (only the id: a row holds the whole raw
    # message), and whether the Message-ID is one of ours (a mail of ours come back).
    first, is_ours = message_id_facts(message.message_id, mail.message_id)
    if first is not None and first != message.pk:
        return ignored(f"a second copy of message #{first}", duplicate_of=first, **base)
    noise = noise_detect(mail, own_message_ids={mail.message_id} if is_ours else set())
    if noise is not None:
        return noise_handle(noise, mail, now=now, base=base)
    desk = desk_for(mail, message)
    # The desk whose mailbox received it: its agents decide what was quarantined.
    base["desk"] = desk.key if desk is not None else ""
    if not sender:
        return quarantined("the message names no sender", code="no_sender", **base)
    refused = _sender_ignored(sender, desk, decision, base)
    if refused is not None:
        return refused

    thread = thread_find(mail, message)
    if thread.ticket is not None and desk is not None and thread.ticket.desk_id == desk.pk:
        thread.ticket.desk = desk  # the desk row in hand (served_desks_once), not read again
    writer = _writer_identify(sender, thread, verdict)
    base["sender_verified"] = writer.is_authenticated
    policy = (
        thread.ticket.desk if thread.ticket is not None else desk or Desk()
    ).unverified_sender_mail
    refused = _unverified_refused(writer, sender, thread.ticket, policy, decision, base)
    if refused is not None:
        return refused
    marked = not writer.is_authenticated and policy == UnverifiedSenderMail.MARK
    context = _Context(desk=desk, now=now, base=base, marked=marked)
    outcome = _thread_answer(writer, mail, thread, decision=decision, context=context)
    return outcome if outcome is not None else _request_open(writer.user, mail, context)


def _writer_identify(sender: str, thread: Thread, verdict: Verdict) -> _Writer:
    """Who wrote it, as far as can be proven (docs/security.md): a DMARC-aligned pass for the
    From domain, or the sender's own personal reply address."""
    user = user_by_address(sender)
    domain_verified = verdict.verified and verdict.from_domain == sender.rpartition("@")[2]
    by_token = user is not None and thread.token_user is not None and thread.token_user == user
    return _Writer(
        user=user,
        is_authenticated=domain_verified or by_token,
        claims_agent=user is not None and (user.is_agent or user.is_superuser),
    )


def _unverified_refused(
    writer: _Writer,
    sender: str,
    ticket: Ticket | None,
    policy: str,
    decision: Decision,
    base: dict[str, Any],
) -> Outcome | None:
    """Quarantine an unverified agent's mail, and an unverified sender's where the desk's
    policy says so, unless an agent decided on it (then an agent's is kept as a note by
    nobody in particular: ``writer.user`` becomes None)."""
    if writer.is_authenticated:
        return None
    reference = ticket.reference if ticket is not None else ""
    if writer.claims_agent:
        # An agent's identity is never taken from mail anyone could have written.
        if decision is Decision.NONE:
            return quarantined(
                f"{sender} is an agent, but the sender could not be verified",
                reference,
                code="unverified_agent",
                params={"sender": sender},
                **base,
            )
        writer.user = None
    if policy == UnverifiedSenderMail.QUARANTINE and not decision:
        return quarantined(
            f"the sender {sender} could not be verified",
            reference,
            code="unverified_sender",
            params={"sender": sender},
            **base,
        )
    return None


def _thread_answer(
    writer: _Writer,
    mail: ParsedMail,
    thread: Thread,
    *,
    decision: Decision,
    context: _Context,
) -> Outcome | None:
    """A comment on the request the message answers (or an agent attached it to), when the
    writer may write there; quarantined when they may not; None when it answers no request or
    an agent decided it opens a new one."""
    ticket, how, user = thread.ticket, thread.how, writer.user
    desk, now, base = context.desk, context.now, context.base
    if decision is Decision.ATTACH and ticket is None:
        ticket, how = subject_ticket(mail), "the agent's decision"
    if ticket is None:
        return None
    sender = base["sender"]
    allowed = user is not None and may_write(user, ticket, sender)
    if not allowed and ticket.contact_email and ticket.contact_email == sender:
        user, allowed = ticket.requester, True
    if decision is Decision.ATTACH and user is None and not writer.claims_agent:
        user = customer_for(
            sender, name=mail.from_name, now=now, desk=desk, text=language_sample(mail)
        )
    # An agent's attaching of mail forged in an agent's name has no author (``user`` is None):
    # it becomes a note by nobody.
    if decision is Decision.ATTACH or (allowed and decision is not Decision.NEW):
        # An agent attaching a stranger's mail: kept as an internal note, which shows the
        # stranger nothing and lets the agent decide what to share.
        outcome = comment_add(ticket, user, mail, how=how, now=now, base=base, as_note=not allowed)
        outcome.marked_unverified = context.marked
        return outcome
    if decision is not Decision.NEW:
        return quarantined(
            f"{sender} may not see {ticket.reference}, named by {how}",
            ticket.reference,
            code="may_not_see",
            params={"sender": sender, "reference": ticket.reference},
            **base,
        )
    # An agent chose a new request: written by whom the request knows the address for.
    writer.user = user
    return None


def _request_open(user: User | None, mail: ParsedMail, context: _Context) -> Outcome:
    """A new request from the sender (a customer account made for a new address), unless no
    desk receives the mail, the sender is an agent or a deactivated account, or opened too
    many requests by mail in the last hour."""
    desk, now, base = context.desk, context.now, context.base
    sender = base["sender"]
    if desk is None:
        return quarantined("no desk receives mail at these addresses", code="no_desk", **base)
    if user is not None and (user.is_agent or user.is_superuser):
        return quarantined(
            "an agent's mail that names no request", code="agent_without_request", **base
        )
    if user is not None and not user.is_active:
        return quarantined(
            f"{sender} is a deactivated account",
            code="deactivated",
            params={"sender": sender},
            **base,
        )
    if user is None:
        user = customer_for(
            sender, name=mail.from_name, now=now, desk=desk, text=language_sample(mail)
        )
    recent = requests_opened_by_mail(user, since=now - timedelta(hours=1))
    if recent >= NEW_REQUESTS_PER_SENDER_PER_HOUR:
        return quarantined(
            f"{sender} opened {recent} requests by e-mail in the last hour",
            code="rate_limited",
            params={"sender": sender, "count": recent},
            **base,
        )
    outcome = request_create(desk, user, mail, now=now, base=base)
    outcome.marked_unverified = context.marked
    return outcome


# --- Noise ----------------------------------------------------------------------------------


def noise_handle(noise: Noise, mail: ParsedMail, *, now: datetime, base: dict) -> Outcome:
    from supportal.tickets.services import ticket_mail_note_add

    extra: dict[str, Any] = {**base, "kind": noise.kind}
    reference, ticket, note = "", None, None
    if noise.kind == "bounce":
        for address in noise.hard_bounce_addresses:
            bounce_listeners.notify(
                HardBounce(email=address, detail=noise.diagnostic or mail.subject, at=now)
            )
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
        if outbound is not None and outbound.ticket is not None:
            ticket = outbound.ticket
            reference = ticket.reference
            body = _("Mail to %(to)s could not be delivered.") % {"to": ", ".join(outbound.to)}
            if noise.diagnostic:
                body += "\n" + noise.diagnostic
            # The bounce itself stays the stored row's bytes, linked from the note's entry.
            note = ticket_mail_note_add(ticket=ticket, author=None, body=body, now=now)
    outcome = ignored(noise.reason, **extra)
    outcome.reference, outcome.ticket, outcome.comment = reference, ticket, note
    return outcome
