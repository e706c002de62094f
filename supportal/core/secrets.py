"""Secrets Supportal itself must keep (a mailbox's password), encrypted at rest
(docs/security.md, "Stored secrets").

Fernet (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package) with keys from
``SUPPORTAL_SECRET_KEYS``: comma-separated, the first encrypts, every one decrypts, so a new key
is put first, ``manage.py secrets_rotate`` re-encrypts every stored secret with it, and the old
key is then removed. Without the variable a key is derived from ``SECRET_KEY`` (HKDF), so the
demo runs; production sets its own (docs/configuration.md). A secret is never shown back:
forms only replace it.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from supportal.core.errors import DomainError


class SecretUnreadable(DomainError):
    """A stored secret that none of the configured keys decrypts (a key was removed too soon,
    or the value was altered)."""


@cache
def _keys(configured: tuple[str, ...], secret_key: str) -> MultiFernet:
    if configured:
        try:
            return MultiFernet([Fernet(key.strip().encode()) for key in configured])
        except ValueError as exc:
            raise ImproperlyConfigured(
                "SUPPORTAL_SECRET_KEYS: each key is 32 url-safe base64-encoded bytes"
                " (python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())')"
            ) from exc
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"supportal stored secrets"
    ).derive(secret_key.encode())
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def _fernet() -> MultiFernet:
    return _keys(tuple(settings.SUPPORTAL_SECRET_KEYS), settings.SECRET_KEY)


def secret_encrypt(plain: str) -> str:
    """The text to store for ``plain``. Pure apart from reading the keys."""
    return _fernet().encrypt(plain.encode()).decode()


def secret_decrypt(stored: str) -> str:
    """The secret ``stored`` holds; SecretUnreadable when no configured key opens it."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            _(
                "A stored secret cannot be decrypted with SUPPORTAL_SECRET_KEYS: was a key"
                " removed before “manage.py secrets_rotate” ran? Enter the secret again."
            )
        ) from None


def secret_rotate(stored: str) -> str:
    """``stored`` encrypted again with the first key (unchanged secret)."""
    try:
        return _fernet().rotate(stored.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(_("A stored secret cannot be decrypted for rotation.")) from None
