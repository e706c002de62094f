"""Outgoing accounts (docs/email.md, "Outgoing accounts"): the SMTP account a desk's mail is
sent through, signing in with a password or with OAuth2 (SASL ``XOAUTH2``, as Microsoft 365 and
Google Workspace require), chosen per desk; mail of a desk without one goes through EMAIL_URL.

The outbox (``outbox.outbox_deliver``) asks ``routes`` which account each claimed message
goes through and ``account_connection`` for the connection; it records each account's success
or failure here, and tells the administrators once when an account starts failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction

from supportal.core.secrets import secret_decrypt
from supportal.mail import oauth2
from supportal.mail.models import OutboundEmail, OutgoingAccount, SmtpSecurity
from supportal.tickets.models import Ticket

ERROR_MAX_LENGTH = 500


class XOAuth2EmailBackend(EmailBackend):
    """Django's SMTP backend signing in with ``AUTH XOAUTH2`` and a bearer token instead of
    ``AUTH LOGIN``/``PLAIN`` (docs/email.md, "Outgoing accounts")."""

    def __init__(self, *, username: str, access_token: str, **kwargs: Any) -> None:
        # No password: the parent's open() then connects (and STARTTLS) without logging in.
        super().__init__(username="", password="", **kwargs)
        self.xoauth2_user = username
        self.access_token = access_token

    def open(self) -> bool | None:
        opened = super().open()
        if not opened or self.connection is None:
            return opened
        try:
            self.connection.ehlo_or_helo_if_needed()
            # smtplib sends the initial response with the command and base64-encodes it; to a
            # 334 challenge (the provider's JSON error), the answer is an empty line, after
            # which the server gives its 535 (Google's and Microsoft's documented exchange).
            self.connection.auth("XOAUTH2", self._initial_response, initial_response_ok=True)
        except Exception:
            self.connection.close()
            self.connection = None
            raise
        return True

    def _initial_response(self, challenge: bytes | None = None) -> str:
        if challenge is not None:
            return ""
        return oauth2.xoauth2_string(self.xoauth2_user, self.access_token).decode()


def routes(emails: Sequence[OutboundEmail]) -> list[tuple[OutboundEmail, OutgoingAccount | None]]:
    """Each message with the account it goes through (None: EMAIL_URL), grouped by account so
    that one connection serves each group. The desk is the message's request's; mail of no
    request, or of a desk without an account, goes through the account for every desk."""
    accounts = {
        account.desk_id: account for account in OutgoingAccount.objects.filter(is_active=True)
    }
    if not accounts:
        return [(email, None) for email in emails]
    ticket_ids = {email.ticket_id for email in emails if email.ticket_id}
    desk_of = dict(Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", "desk_id"))
    routed = []
    for email in emails:
        desk_id = desk_of.get(email.ticket_id) if email.ticket_id else None
        routed.append((email, accounts.get(desk_id) or accounts.get(None)))
    # Stable: within a group, the claimed order stays.
    return sorted(routed, key=lambda pair: pair[1].pk if pair[1] else 0)


def account_connection(account: OutgoingAccount, *, now: datetime) -> EmailBackend:
    """A closed connection to ``account``'s server that signs in when opened: with the password
    decrypted, or an OAuth2 access token (refreshed when due; TokenRefused)."""
    common: dict[str, Any] = {
        "host": account.host,
        "port": account.port,
        "use_tls": account.security == SmtpSecurity.STARTTLS,
        "use_ssl": account.security == SmtpSecurity.SSL,
        "timeout": settings.EMAIL_TIMEOUT,
    }
    if account.is_oauth2:
        token = oauth2.access_token(account, now=now)
        return XOAuth2EmailBackend(username=account.username, access_token=token, **common)
    return EmailBackend(
        username=account.username, password=secret_decrypt(account.password_encrypted), **common
    )


def error_text(exc: BaseException) -> str:
    """What an administrator reads of a failure (never a secret: the exceptions carry none)."""
    return (getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}")[:ERROR_MAX_LENGTH]


def account_failure_record(account: OutgoingAccount, error: str, *, now: datetime) -> bool:
    """Record that ``account`` failed. Returns True only for the failure that ends a working
    (or never used) state — the one the administrators are told of — decided by a conditional
    UPDATE, so that two workers failing at once tell them once."""
    with transaction.atomic():
        rows = OutgoingAccount.objects.filter(pk=account.pk)
        started = rows.filter(last_error="").update(
            last_checked_at=now, last_error=error, last_error_at=now
        )
        if not started:
            rows.update(last_checked_at=now, last_error=error, last_error_at=now)
    return bool(started)


def account_success_record(account: OutgoingAccount, *, now: datetime) -> None:
    """Record that ``account`` signed in; a later failure is told again."""
    OutgoingAccount.objects.filter(pk=account.pk).update(
        last_checked_at=now, last_success_at=now, last_error=""
    )
