"""Forgotten passwords, renewed links, setting and changing a password."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import password_validation
from django.db import transaction
from django.utils import timezone

from supportal import audit
from supportal.accounts import selectors
from supportal.accounts.models import User
from supportal.accounts.services._common import (
    _email_clean,
    _language,
    _link,
    _mail_allowed,
    _queue_or_discard,
)
from supportal.accounts.services.profiles import sessions_end
from supportal.accounts.services.registration import _invitation_queue
from supportal.accounts.tokens import (
    password_reset_tokens,
    uid_encode,
)
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput


def _password_reset_mail(
    *,
    user: User | None,
    email: str,
    language: str,
    reason: str,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Queue a reset mail to ``user``, or (``user`` None) do the same work and discard it."""
    send = user is not None and _mail_allowed("password_reset", email, ip=ip)
    target = user
    if target is None:
        target = User(email=email)  # never saved
        target.set_unusable_password()
    _queue_or_discard(
        send=send,
        to=email,
        template="password_reset",
        language=_language(language, target.language),
        context={
            "portal_name": selectors.portal_settings_get().portal_name,
            "email": email,
            "link": _link(
                "accounts:password_reset",
                uidb64=uid_encode(target),
                token=password_reset_tokens.make_token(target, now=now),
            ),
            "lifetime_hours": int(password_reset_tokens.lifetime().total_seconds() // 3600),
            "is_activation": not target.has_usable_password(),
            "reason": reason,
        },
    )


def password_reset_request(
    *, email: str, language: str = "", ip: str | None = None, now: datetime | None = None
) -> None:
    """ "Forgot your password?": mail a single-use link to set a new password, if the address
    belongs to an active user (company accounts excepted). A customer who has only written by
    e-mail activates their account this way (docs/requirements.md#accounts, A5).

    Returns nothing and raises nothing for an unknown address: callers show the same answer
    whatever happened. Side effects: at most one ``password_reset`` mail per address per
    MAIL_REPEAT_DURATION.
    """
    now = now or timezone.now()
    try:
        email = _email_clean(email)
    except InvalidInput:
        return
    user = User.objects.filter(email=email, is_active=True, is_company_account=False).first()
    if user is not None and selectors.password_login_refusal(user):
        # An agent who signs in only through single sign-on has no password to reset
        # (docs/sso.md): answered as an unknown address, so the page tells nothing.
        user = None
    with transaction.atomic():
        _password_reset_mail(
            user=user, email=email, language=language, reason="forgot", now=now, ip=ip
        )
        # Recorded for unknown addresses too: someone probing shows, and both paths do the same
        # work (the time taken tells nothing).
        audit.record(action=Action.PASSWORD_RESET, obj=user, actor_label=email)


def link_renew(
    *, user: User, language: str = "", ip: str | None = None, now: datetime | None = None
) -> None:
    """Send a fresh link to someone whose invitation or reset link expired: a new invitation
    if they never set a password, else a password-reset link. Side effects: one mail (at most
    one per address per MAIL_REPEAT_DURATION)."""
    now = now or timezone.now()
    if not user.is_active or user.is_company_account or selectors.password_login_refusal(user):
        return
    with transaction.atomic():
        if user.has_usable_password():
            _password_reset_mail(
                user=user, email=user.email, language=language, reason="renew", now=now, ip=ip
            )
        elif _mail_allowed("invitation", user.email, ip=ip):
            _invitation_queue(user=user, invited_by=user.invited_by, language=language, now=now)


def password_set(*, user: User, password: str) -> User:
    """Set a password from an invitation or reset link (the link's token is then spent) and
    end every session of the user. Raises ``ValidationError`` naming each broken rule.
    Side effects: saves the password; deletes the user's sessions; an audit entry."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_end(user=user)
        audit.record(action=Action.PASSWORD_SET, obj=user, actor_label=user.email)
    return user


def password_change(*, user: User, password: str, keep_session_key: str | None) -> User:
    """Change one's own password; every other session ends (``keep_session_key`` stays; the
    caller refreshes its session hash). Raises ``ValidationError`` naming each broken rule.
    Side effects: an audit entry."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        sessions_end(user=user, keep_session_key=keep_session_key)
        audit.record(actor=user, action=Action.PASSWORD_CHANGED, obj=user)
    return user
