"""Personal access tokens for the REST API (docs/api.md#tokens): create, revoke, authenticate.

A token reads ``spt_<prefix>_<secret>``: the prefix (public, unique) finds the row, the secret
(32 random bytes) is checked against its stored SHA-256. SHA-256 and not a slow password hash:
the secret has 256 bits of entropy, so nothing can be guessed from its hash, and every API
request checks one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import (
    ApiIdempotencyKey,
    ApiToken,
    ApiTokenChange,
    ApiTokenScope,
    User,
)
from supportal.core.errors import InvalidInput, NotFound

TOKEN_PREFIX = "spt"  # noqa: S105 (the tokens' public marker, not a secret)
TOKEN_NAME_MAX_LENGTH = 100
TOKEN_MAX_DAYS = 366
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiTokenScope.READ,
    expires_in_days: int | None = 90,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the token text, shown once.

    Raises InvalidInput for an empty or long name, an unknown scope or an expiry out of range.
    """
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Name the token, so you know later what uses it."), field="name")
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise InvalidInput(
            _("The name is limited to %(limit)d characters.") % {"limit": TOKEN_NAME_MAX_LENGTH},
            field="name",
        )
    if scope not in ApiTokenScope.values:
        raise InvalidInput(_("Choose read or read and write."), field="scope")
    if expires_in_days is not None and not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        raise InvalidInput(
            _("A token expires after 1 to %(limit)d days.") % {"limit": TOKEN_MAX_DAYS},
            field="expires_in_days",
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scope=scope,
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_revoke(*, actor: User, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    """Revoke one of ``actor``'s tokens (administrators: anyone's). Idempotent.

    Raises NotFound for a token that is not the actor's (and the actor is no administrator).
    """
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update()
        if not actor.is_superuser:
            tokens = tokens.filter(user=actor)
        token = tokens.filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("There is no such token."))
        if token.revoked_at is None:
            token.revoked_at = now or timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_authenticate(
    raw: str, *, ip: str | None = None, now: dt.datetime | None = None
) -> ApiToken | None:
    """The usable token ``raw`` names, with its active user; None for anything else.

    Side effect: records the last use (time and address), at most once a minute per token.
    """
    now = now or timezone.now()
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__organization")
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        return None
    if not token.is_usable(now) or not token.user.is_active:
        return None
    if (
        token.last_used_at is None
        or now - token.last_used_at >= LAST_USED_RESOLUTION
        or token.last_used_ip != ip
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


IDEMPOTENCY_KEEP_DURATION = dt.timedelta(hours=24)
CHANGES_KEEP_DURATION = dt.timedelta(days=180)


def api_token_change_record(
    *, token: ApiToken, method: str, path: str, status_code: int, ip: str | None
) -> ApiTokenChange:
    """Record a change made with ``token`` (docs/api.md#tokens): its owner sees it on the tokens
    page. Kept for 180 days (``api_idempotency_keys_forget`` removes older ones)."""
    return ApiTokenChange.objects.create(
        token=token, method=method[:10], path=path[:300], status_code=status_code, ip=ip
    )


def api_idempotency_keys_forget(now: dt.datetime) -> int:
    """The periodic clean-up: forget the answers to idempotent POSTs older than a day, and the
    record of changes made with tokens older than 180 days."""
    ApiTokenChange.objects.filter(at__lt=now - CHANGES_KEEP_DURATION).delete()
    deleted, _rows = ApiIdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_KEEP_DURATION
    ).delete()
    return deleted


def api_idempotency_claim(
    *, token: ApiToken, key: str, fingerprint: str
) -> ApiIdempotencyKey | None:
    """In the caller's transaction: take ``key`` for this request (None: go on, then call
    :func:`api_idempotency_record`), or return the earlier answer's row.

    A request sent concurrently with the same key waits here (the unique index) until the
    first one commits, then gets its answer. Raises InvalidInput when the key was used for a
    different request, or is empty or too long.
    """
    key = key.strip()
    if not key or len(key) > 200:
        raise InvalidInput(
            _("An Idempotency-Key has 1 to 200 characters."), field="Idempotency-Key"
        )
    try:
        with transaction.atomic():
            ApiIdempotencyKey.objects.create(token=token, key=key, fingerprint=fingerprint)
            return None
    except IntegrityError:
        earlier = ApiIdempotencyKey.objects.get(token=token, key=key)
    if earlier.fingerprint != fingerprint:
        raise InvalidInput(
            _("This Idempotency-Key was used for another request: use a new key."),
            field="Idempotency-Key",
        )
    return earlier


def api_idempotency_record(
    *, token: ApiToken, key: str, status_code: int, content_type: str, body: bytes
) -> None:
    ApiIdempotencyKey.objects.filter(token=token, key=key.strip()).update(
        status_code=status_code, content_type=content_type[:100], body=body
    )
