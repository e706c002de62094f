"""Outgoing mail: queue a message in the caller's transaction, send it later from the worker.

``email_queue`` only writes an :class:`OutboundEmail` row, so an action that rolls back sends
nothing and no request waits on an SMTP server. ``outbox_send_due`` (a worker queue, registered
in ``MailConfig.ready``) claims due rows, sends them through the desk's outgoing account
(``outgoing.py``) or ``EMAIL_URL`` and records the outcome, retrying with back-off.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template import Context
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from supportal.accounts.languages import recipient_language
from supportal.accounts.models import User
from supportal.core.jobs import claim_due, claimed_in_turn, retry_delay
from supportal.core.mails import MailToQueue
from supportal.mail import outgoing
from supportal.mail.models import OutboundEmail, OutboundState, OutgoingAccount

if TYPE_CHECKING:
    from supportal.tickets.models import Ticket

logger = logging.getLogger("supportal.mail.outbox")

MAX_ATTEMPTS = 8
BATCH_SIZE = 20
# Must exceed the time to send one message (EMAIL_TIMEOUT is 30 s): the claim on the rest of the
# batch is renewed as each message goes (core.jobs.claim_renew), so a worker killed mid-batch
# leaves its rows to another worker within this time, not a quarter of an hour.
CLAIM_LEASE_DURATION = timedelta(seconds=settings.SUPPORTAL_CLAIM_LEASE_SECONDS)
LAST_ERROR_MAX_LENGTH = 2000
_NOT_YET = object()


def message_id_make() -> str:
    """A new Message-ID on our own domain, ``<hex uuid@SUPPORTAL_MAIL_DOMAIN>``; no side effects."""
    return f"<{uuid.uuid4().hex}@{settings.SUPPORTAL_MAIL_DOMAIN}>"


def _render(name: str, context: Mapping[str, Any], *, is_html: bool) -> str:
    template = get_template(name)
    if is_html:
        return template.render(dict(context))
    # Plain text must not be HTML-escaped ("R&D" stays "R&D"): render the underlying Django
    # template with autoescaping off. Django's is the only template engine (config/settings.py).
    assert isinstance(template, DjangoTemplate), template
    return template.template.render(Context(dict(context), autoescape=False))


def _check_header(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"e-mail header {name} must be one line")
    return value


def _attachment_ref(item: Mapping[str, str]) -> dict[str, str]:
    path = item.get("path", "")
    if not path:
        raise ValueError("an attachment needs the path of a stored file")
    return {
        "path": path,
        "name": _check_header("attachment name", item.get("name") or path.rsplit("/", 1)[-1]),
        "content_type": item.get("content_type") or "application/octet-stream",
    }


def _headers_checked(
    headers: Mapping[str, str] | None, *, in_reply_to: str | None, references: Iterable[str]
) -> dict[str, str]:
    """The extra headers, each checked, with In-Reply-To and References (RFC 5322 threading:
    the message answered is also among the references)."""
    extra_headers = {name: _check_header(name, value) for name, value in (headers or {}).items()}
    reference_ids = [_check_header("References", ref) for ref in references]
    if in_reply_to:
        extra_headers["In-Reply-To"] = _check_header("In-Reply-To", in_reply_to)
        if in_reply_to not in reference_ids:
            reference_ids.append(in_reply_to)
    if reference_ids:
        extra_headers["References"] = " ".join(reference_ids)
    return extra_headers


def zone_or_default(name: str) -> tzinfo:
    """The time zone ``name``, or the active one when it is empty or unknown."""
    try:
        return ZoneInfo(name) if name else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def email_queue(
    *,
    to: str | Sequence[str],
    template: str,
    context: Mapping[str, Any],
    language: str,
    time_zone: str = "",
    ticket: Ticket | None = None,
    reply_to: str = "",
    headers: Mapping[str, str] | None = None,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    cc: Sequence[str] = (),
    from_email: str = "",
    attachments: Iterable[Mapping[str, str]] = (),
) -> OutboundEmail:
    """Render the template set ``mail/<template>/`` (``subject.txt``, ``body.txt``,
    ``body.html``) in ``language``, dates in ``time_zone``, and queue it for the worker.

    The context also carries ``base_url`` (SUPPORTAL_BASE_URL) for links. ``in_reply_to`` is a
    Message-ID this message answers; it is also appended to ``references`` if missing, as RFC
    5322 asks. ``attachments`` are references to files in ``default_storage``, each
    ``{"path", "name", "content_type"}``; the worker reads them when sending, so they must stay
    stored until then. Side effects: creates one :class:`OutboundEmail` row, due now, with our own
    Message-ID. No mail leaves here: call it inside the caller's transaction; the worker sends
    after commit, and a rollback discards the message.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("an e-mail needs at least one recipient")
    full_context = {"base_url": settings.SUPPORTAL_BASE_URL, **context}
    base = f"mail/{template}"
    with translation.override(language), timezone.override(zone_or_default(time_zone)):
        # Templates end with a newline and may wrap; a subject is one line.
        subject = " ".join(_render(f"{base}/subject.txt", full_context, is_html=False).split())
        body_text = _render(f"{base}/body.txt", full_context, is_html=False)
        body_html = _render(f"{base}/body.html", full_context, is_html=True)

    extra_headers = _headers_checked(headers, in_reply_to=in_reply_to, references=references)
    attachment_refs = [_attachment_ref(item) for item in attachments]

    return OutboundEmail.objects.create(
        to=recipients,
        cc=list(cc),
        from_email=_check_header("From", from_email or settings.DEFAULT_FROM_EMAIL),
        reply_to=_check_header("Reply-To", reply_to),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        message_id=message_id_make(),
        headers=extra_headers,
        attachments=attachment_refs,
        template=template,
        language=language,
        ticket=ticket,
        next_attempt_at=timezone.now(),
    )


def _message(email: OutboundEmail, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=email.to,
        cc=email.cc,
        reply_to=[email.reply_to] if email.reply_to else None,
        # Our stored Message-ID, not a fresh one, so replies thread to what we recorded.
        headers={**email.headers, "Message-ID": email.message_id},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for ref in email.attachments:
        try:
            with default_storage.open(ref["path"], "rb") as stored:
                content = stored.read()
        except FileNotFoundError as exc:
            # Not permanent: a file restored to storage lets the retry go out.
            raise FileNotFoundError(
                f"attachment {ref['name']!r} is missing from storage ({ref['path']})"
            ) from exc
        message.attach(ref["name"], content, ref["content_type"])
    return message


def _is_permanent(exc: Exception) -> bool:
    """Whether retrying this message cannot help.

    Only refusals of the message itself count: every recipient refused with 5xx, or the
    content refused with 5xx, or a malformed message. A refused login or sender is our
    configuration, which an operator fixes; those messages must still go out afterwards.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return isinstance(exc, ValueError)  # a bad header or address


def _record_sent(email: OutboundEmail) -> None:
    # Filtered on our claim token: if our lease ran out and another worker claimed the row,
    # the outcome is theirs to record.
    OutboundEmail.objects.filter(pk=email.pk, claim_token=email.claim_token).update(
        state=OutboundState.SENT, sent_at=timezone.now(), last_error="", claim_token=""
    )


def _record_failure(email: OutboundEmail, exc: Exception, *, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH]
    if _is_permanent(exc) or email.attempts >= MAX_ATTEMPTS:
        logger.error(
            "giving up on %s after %d attempt(s): %s", email.message_id, email.attempts, error
        )
        changes: dict[str, Any] = {"state": OutboundState.FAILED}
    else:
        next_attempt_at = now + retry_delay(email.attempts)
        logger.warning("%s not sent, retrying at %s: %s", email.message_id, next_attempt_at, error)
        changes = {"next_attempt_at": next_attempt_at}
    OutboundEmail.objects.filter(pk=email.pk, claim_token=email.claim_token).update(
        last_error=error, claim_token="", **changes
    )


def _close_quietly(connection: BaseEmailBackend) -> None:
    # A broken session is being thrown away anyway; its close may fail too.
    with contextlib.suppress(Exception):
        connection.close()


def outbox_deliver(emails: Sequence[OutboundEmail], *, now: datetime) -> int:
    """Send rows already claimed with ``claim_due`` and record each outcome.

    Returns how many rows were handled (sent or failed). Side effects: talks to the mail server
    of each message's desk's outgoing account, or of EMAIL_URL (``outgoing.routes``); marks each
    row SENT (with ``sent_at``), or records ``last_error`` and reschedules it with back-off, or
    marks it FAILED after MAX_ATTEMPTS attempts or a permanent (5xx) refusal; records each
    account's success or failure, and queues one mail to the administrators when an account
    starts failing. Must run outside any transaction: SMTP may take seconds.
    """
    if not emails:
        return 0
    routed = outgoing.routes(emails)
    account_of = {email.pk: account for email, account in routed}
    current: object = _NOT_YET
    connection: BaseEmailBackend | None = None
    open_error: Exception | None = None
    try:
        # The rest of the batch stays ours while it is sent (core.jobs.claimed_in_turn).
        ordered = [email for email, _account in routed]
        for email in claimed_in_turn(ordered, lease_duration=CLAIM_LEASE_DURATION):
            account = account_of[email.pk]
            if account is not current:  # routes are grouped: one connection per account
                if connection is not None:
                    _close_quietly(connection)
                current = account
                connection, open_error = _connection_open(account, now=now)
            if connection is None:
                # The server is unreachable or refused the sign-in: every message of this
                # account would fail the same way.
                _record_failure(email, open_error or RuntimeError("no connection"), now=now)
                continue
            _send_one(email, connection, now=now)
    finally:
        if connection is not None:
            _close_quietly(connection)
    return len(emails)


def _send_one(email: OutboundEmail, connection: BaseEmailBackend, *, now: datetime) -> None:
    if email.attempts > MAX_ATTEMPTS:
        # Claimed again after crashes mid-send: stop before it crashes a worker again.
        _record_failure(email, RuntimeError("too many attempts"), now=now)
        return
    try:
        if connection.send_messages([_message(email, connection)]) != 1:
            raise ValueError("the mail backend did not send the message")
    except Exception as exc:
        _record_failure(email, exc, now=now)
        # Throw the session away: the backend opens a fresh one for the next message.
        _close_quietly(connection)
    else:
        _record_sent(email)


def _connection_open(
    account: OutgoingAccount | None, *, now: datetime
) -> tuple[BaseEmailBackend | None, Exception | None]:
    """An open connection through ``account`` (None: EMAIL_URL), or the reason there is none.
    An account's outcome is recorded on it; the administrators hear of its first failure."""
    try:
        connection = (
            get_connection() if account is None else outgoing.account_connection(account, now=now)
        )
        connection.open()
    except Exception as exc:  # unreachable, sign-in refused, token refused, secret unreadable
        if account is not None:
            error = outgoing.error_text(exc)
            logger.warning("outgoing account %s failed: %s", account, error)
            if outgoing.account_failure_record(account, error, now=now):
                _account_failing_tell(account, error)
        return None, exc
    if account is not None:
        outgoing.account_success_record(account, now=now)
    return connection, None


def outgoing_account_check(account: OutgoingAccount, *, now: datetime) -> str:
    """Sign in to ``account`` now (the admin's "Sign in now") and record the outcome as a
    delivery would. Returns the error, or "" when it signed in."""
    connection, error = _connection_open(account, now=now)
    if connection is not None:
        _close_quietly(connection)
    return outgoing.error_text(error) if error else ""


def _account_failing_tell(account: OutgoingAccount, error: str) -> None:
    link = settings.SUPPORTAL_BASE_URL + reverse(
        "admin:mail_outgoingaccount_change", args=[account.pk]
    )
    administrators_tell(
        template="outgoing_failing",
        context={
            "account": account.name,
            "username": account.username,
            "host": account.host,
            "error": error,
            "is_oauth2": account.is_oauth2,
            "link": link,
        },
    )


def administrators_tell(*, template: str, context: Mapping[str, Any]) -> None:
    """Queue the mail ``template`` to every active administrator, in their language. Side
    effect: OutboundEmail rows (in the caller's transaction, if any)."""
    for admin in User.objects.filter(is_superuser=True, is_active=True).order_by("pk"):
        email_queue(
            to=admin.email,
            template=template,
            language=recipient_language(admin),
            context=context,
        )


def outbox_send_due(now: datetime) -> int:
    """The worker's outbox queue: claim up to BATCH_SIZE due messages and send them.

    Returns how many were handled. Side effects: those of ``claim_due`` and ``outbox_deliver``.
    """
    emails = claim_due(
        OutboundEmail.objects.filter(state=OutboundState.PENDING),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
    )
    return outbox_deliver(emails, now=now)


def mail_to_queue(mail: MailToQueue) -> None:
    """The listener of ``core.mails``: queue a mail described by a layer below this one."""
    email_queue(to=mail.to, template=mail.template, language=mail.language, context=mail.context)


def outbox_attachment_paths() -> set[str]:
    """The stored files that mail not yet sent will attach (failed mail may be retried), so the
    orphan sweep keeps them (core/orphans.py)."""
    rows = (
        OutboundEmail.objects.exclude(state=OutboundState.SENT)
        .exclude(attachments=[])
        .values_list("attachments", flat=True)
        .iterator()
    )
    return {ref["path"] for refs in rows for ref in refs or () if ref.get("path")}
