"""Mailboxes administrators manage in the web (docs/email.md, "Mailboxes"): saving one (its
password encrypted with ``core.secrets``, never shown again), and checking the ones that are
due, each recording its last success or its last error where administrators see it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.core.errors import InvalidInput
from supportal.core.secrets import secret_decrypt, secret_encrypt, secret_rotate
from supportal.mail import oauth2
from supportal.mail.imap import Mailbox as ImapMailbox
from supportal.mail.imap import configured_mailboxes_fetch, mailbox_fetch
from supportal.mail.models import Mailbox, MailboxAuth, OutgoingAccount, SignIn
from supportal.mail.outbox import administrators_tell

logger = logging.getLogger("supportal.mail.imap")

ERROR_MAX_LENGTH = 500
S = TypeVar("S", bound=SignIn)


def mailbox_secrets_set(*, mailbox: SignIn, password: str = "", client_secret: str = "") -> None:
    """A non-empty ``password`` (or OAuth2 ``client_secret``) replaces the stored one,
    encrypted; a mailbox (or outgoing account) signing in with a password needs one
    (InvalidInput). The caller saves (the admin, through its audited save)."""
    if password:
        mailbox.password_encrypted = secret_encrypt(password)
    elif mailbox.auth == MailboxAuth.PASSWORD and not mailbox.password_encrypted:
        raise InvalidInput(_("Enter the mailbox's password."), field="password")
    if client_secret:
        oauth2.client_secret_set(mailbox, client_secret)


def mailbox_save(*, mailbox: S, password: str = "", client_secret: str = "") -> S:
    """Save ``mailbox`` (or an outgoing account) with its secrets (``mailbox_secrets_set``).
    Side effect: the row."""
    mailbox_secrets_set(mailbox=mailbox, password=password, client_secret=client_secret)
    mailbox.save()
    return mailbox


def imap_mailbox(mailbox: Mailbox, *, now: datetime) -> ImapMailbox:
    """What ``imap.mailbox_fetch`` needs: the password decrypted (SecretUnreadable if it cannot
    be), or an OAuth2 access token (refreshed when due; TokenRefused). Never logged: the
    dataclass leaves the secrets out of its text."""
    is_oauth2 = mailbox.auth != MailboxAuth.PASSWORD
    return ImapMailbox(
        host=mailbox.host,
        port=mailbox.port,
        user=mailbox.username,
        password_env="",
        password="" if is_oauth2 else secret_decrypt(mailbox.password_encrypted),
        access_token=oauth2.access_token(mailbox, now=now) if is_oauth2 else "",
        folder=mailbox.folder or "INBOX",
        desk=mailbox.desk.key if mailbox.desk else "",
        tls=mailbox.security,
        move_to=mailbox.move_to,
    )


def mailbox_check(mailbox: Mailbox, *, now: datetime) -> int:
    """Fetch ``mailbox`` now and record the outcome on it. Returns how many messages were
    stored; an error is recorded (and logged), not raised."""
    try:
        stored = len(mailbox_fetch(imap_mailbox(mailbox, now=now), now=now))
    except Exception as exc:  # any failure of the server or the secret is the mailbox's state
        logger.warning("fetching mailbox %s failed: %s", mailbox, exc)
        error = (getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}")[:ERROR_MAX_LENGTH]
        with transaction.atomic():
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_checked_at=now, last_error=error, last_error_at=now
            )
            if not mailbox.last_error:  # it was working (or never checked): tell once
                _administrators_tell(mailbox, error)
        return 0
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_checked_at=now, last_success_at=now, last_error=""
    )
    return stored


def _administrators_tell(mailbox: Mailbox, error: str) -> None:
    """Mail every active administrator that ``mailbox`` started failing, in their language.
    Side effect: OutboundEmail rows (in the caller's transaction)."""
    link = settings.SUPPORTAL_BASE_URL + reverse("admin:mail_mailbox_change", args=[mailbox.pk])
    administrators_tell(
        template="mailbox_failing",
        context={
            "mailbox": mailbox.name,
            "username": mailbox.username,
            "host": mailbox.host,
            "error": error,
            "is_oauth2": mailbox.auth != MailboxAuth.PASSWORD,
            "link": link,
        },
    )


def mailboxes_check_due(now: datetime) -> int:
    """Check every active mailbox not checked within its interval (there are a handful: the
    interval is compared here, not in SQL). Returns the messages stored."""
    active = Mailbox.objects.filter(is_active=True).select_related("desk").order_by("pk")
    return sum(
        mailbox_check(mailbox, now=now)
        for mailbox in active
        if mailbox.last_checked_at is None
        or mailbox.last_checked_at <= now - timedelta(minutes=mailbox.poll_minutes)
    )


def mail_fetch_all(now: datetime) -> int:
    """The periodic job ``mail.fetch`` (every minute): the stored mailboxes that are due, then
    those configured in the environment. Returns how many messages were stored."""
    return mailboxes_check_due(now) + configured_mailboxes_fetch(now)


def signin_secrets_rotate() -> dict[str, dict[str, int]]:
    """Encrypt every secret a mailbox or an outgoing account stores (its password, and the
    OAuth2 client secret and tokens) again with the first key of SUPPORTAL_SECRET_KEYS
    (``manage.py secrets_rotate``): once done, the old key can go. Returns, per model, how many
    of each field were rotated."""
    return {str(model._meta.model_name): _rotate(model) for model in (Mailbox, OutgoingAccount)}


def _rotate(model: type[Mailbox] | type[OutgoingAccount]) -> dict[str, int]:
    rotated = dict.fromkeys(model.ENCRYPTED_FIELDS, 0)
    for row in model.objects.only("pk", *model.ENCRYPTED_FIELDS).order_by("pk"):
        fresh = {
            name: secret_rotate(value)
            for name in model.ENCRYPTED_FIELDS
            if (value := getattr(row, name))
        }
        if fresh:
            model.objects.filter(pk=row.pk).update(**fresh)
        for name in fresh:
            rotated[name] += 1
    return rotated
