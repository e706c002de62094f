"""Signed, single-use, expiring links: invitations, password resets and sign-up confirmations.

Invitation and reset tokens are Django's ``PasswordResetTokenGenerator`` tokens: an HMAC of the
user's id, password hash, last log-in and the issue time. Setting a password (or logging in)
changes that state, so a link works once. Two things differ from Django's: each kind has its own
salt and lifetime, and a check says *why* a link fails (expired, or used / not valid), so the
page can say so and offer a new link.

Sign-up confirmations carry the form's data in a ``django.core.signing`` token (no row is
written before the address is confirmed).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from supportal.accounts.models import User

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    # The signature no longer matches: the password was set since (the link was used) or the
    # link was altered. The two cannot be told apart, and need not be.
    USED_OR_INVALID = "used_or_invalid"


class LinkTokenGenerator(PasswordResetTokenGenerator):
    """A token generator with its own salt and lifetime, and an aware clock one can pass."""

    def __init__(self, key_salt: str) -> None:
        super().__init__()
        self.key_salt = key_salt

    def lifetime(self) -> timedelta:
        return timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)

    def _now(self) -> datetime:
        return timezone.now()

    def _num_seconds(self, dt: datetime | date) -> int:
        assert isinstance(dt, datetime), dt  # an instant from _now(), as Django's own passes
        return int((dt - _EPOCH).total_seconds())

    def make_token(self, user: User, *, now: datetime | None = None) -> str:
        return self._make_token_with_timestamp(
            user, self._num_seconds(now or self._now()), self.secret
        )

    def check_token(self, user: User | None, token: str | None) -> bool:
        return self.check_link(user, token) is LinkState.VALID

    def check_link(
        self, user: User | None, token: str | None, *, now: datetime | None = None
    ) -> LinkState:
        if user is None or not token:
            return LinkState.USED_OR_INVALID
        try:
            ts_b36, _hash = token.split("-")
            issued = base36_to_int(ts_b36)
        except ValueError:
            return LinkState.USED_OR_INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, issued, secret), token):
                break
        else:
            return LinkState.USED_OR_INVALID
        age_seconds = self._num_seconds(now or self._now()) - issued
        if age_seconds > self.lifetime().total_seconds():
            return LinkState.EXPIRED
        return LinkState.VALID


class InvitationTokenGenerator(LinkTokenGenerator):
    def __init__(self) -> None:
        super().__init__("supportal.accounts.invitation")

    def lifetime(self) -> timedelta:
        from supportal.accounts.selectors import portal_settings_get

        return timedelta(days=portal_settings_get().invitation_lifetime_days)


invitation_tokens = InvitationTokenGenerator()
password_reset_tokens = LinkTokenGenerator("supportal.accounts.password_reset")


def uid_encode(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk).first()


SIGNUP_SALT = "supportal.accounts.signup"
SIGNUP_LINK_MAX_AGE = timedelta(days=2)


def signup_token_make(data: dict[str, Any], *, now: datetime | None = None) -> str:
    """A signed token carrying ``data`` and its issue time (no side effects)."""
    issued_at = now or timezone.now()
    return signing.dumps(
        {**data, "issued": int(issued_at.timestamp())}, salt=SIGNUP_SALT, compress=True
    )


def signup_token_read(token: str, *, now: datetime | None = None) -> tuple[LinkState, dict]:
    """The sign-up data in ``token`` and whether the link is still good (no side effects).

    The issue time is inside the signed data, rather than signing's own timestamp, so a caller
    (a test) can say what time it is.
    """
    try:
        data = signing.loads(token, salt=SIGNUP_SALT)
    except signing.BadSignature:
        return LinkState.USED_OR_INVALID, {}
    if not isinstance(data, dict) or not isinstance(data.get("issued"), int):
        return LinkState.USED_OR_INVALID, {}
    issued_at = datetime.fromtimestamp(data.pop("issued"), tz=UTC)
    if (now or timezone.now()) - issued_at > SIGNUP_LINK_MAX_AGE:
        return LinkState.EXPIRED, data
    return LinkState.VALID, data
