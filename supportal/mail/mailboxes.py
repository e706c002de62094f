"""Mailboxes administrators manage in the web (docs/email.md, "Mailboxes"): saving one (its
password encrypted with ``core.secrets``, never shown again), and checking the ones that are
due, each recording its last success or its last error where administrators see it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from supportal.core.errors import InvalidInput
from supportal.core.secrets import secret_decrypt, secret_encrypt, secret_rotate
from supportal.mail import oauth2
from supportal.mail.imap import Mailbox as ImapMailbox
from supportal.mail.imap import configured_mailboxes_fetch, mailbox_fetch
from supportal.mail.models import Mailbox, MailboxAuth

logger = logging.getLogger("supportal.mail.imap")

ERROR_MAX_LENGTH = 500


def mailbox_save(*, mailbox: Mailbox, password: str = "", client_secret: str = "") -> Mailbox:
    """Save ``mailbox``; a non-empty ``password`` (or OAuth2 ``client_secret``) replaces the
    stored one (encrypted). A mailbox signing in with a password needs one. Side effect: the
    row."""
    if password:
        mailbox.password_encrypted = secret_encrypt(password)
    elif mailbox.auth == MailboxAuth.PASSWORD and not mailbox.password_encrypted:
        raise InvalidInput(_("Enter the mailbox's password."), field="password")
    if client_secret:
        oauth2.client_secret_set(mailbox, client_secret)
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
        error = getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}"
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_checked_at=now, last_error=error[:ERROR_MAX_LENGTH], last_error_at=now
        )
        return 0
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_checked_at=now, last_success_at=now, last_error=""
    )
    return stored


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


def mailbox_secrets_rotate() -> int:
    """Encrypt every stored mailbox password again with the first key of
    SUPPORTAL_SECRET_KEYS (``manage.py secrets_rotate``). Returns how many were rotated."""
    rotated = 0
    for mailbox in Mailbox.objects.exclude(password_encrypted="").only("pk", "password_encrypted"):
        Mailbox.objects.filter(pk=mailbox.pk).update(
            password_encrypted=secret_rotate(mailbox.password_encrypted)
        )
        rotated += 1
    return rotated
