"""A person's profile, the language learnt of them, and their sessions."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts import selectors
from supportal.accounts.languages import language_detect
from supportal.accounts.models import (
    TrustedDevice,
    User,
    UserSession,
)
from supportal.audit.context import RequestMeta
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, NotFound
from supportal.core.observability import request_id_var


def user_language_learn(*, user: User, text: str = "", browser: str = "") -> None:
    """Remember what the portal learnt of a person's language without asking: the language of
    ``text`` they wrote (a request, a mail) and their ``browser``'s. Only the first of each
    is kept, and nothing when the guess is unsure. Side effect: updates the user row."""
    changed = []
    if text and not user.language and not user.detected_language:
        found = language_detect(text)
        if found:
            user.detected_language = found
            changed.append("detected_language")
    if browser and not user.browser_language and browser in dict(settings.LANGUAGES):
        user.browser_language = browser
        changed.append("browser_language")
    if changed and user.pk is not None:
        User.objects.filter(pk=user.pk).update(**{name: getattr(user, name) for name in changed})


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "language",
    "time_zone",
    "has_email_notifications",
)


def profile_update(*, user: User, **fields: object) -> User:
    """Change one's own profile (PROFILE_FIELDS only). Raises ``InvalidInput`` for a bad value.
    Side effects: saves those fields."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    for name, value in fields.items():
        field = User._meta.get_field(name)
        assert isinstance(field, Field), name  # PROFILE_FIELDS are columns of the user
        try:
            cleaned = field.clean(value, user)
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], field=name) from None
        setattr(user, name, cleaned)
    user.save(update_fields=list(fields))
    return user


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_record(*, user: User, session_key: str, ip: str | None, user_agent: str) -> None:
    """Remember a log-in so the user can see and end it. Side effects: one UserSession row;
    the user's rows whose sessions are gone are deleted; a LOGIN audit entry."""
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip, "user_agent": user_agent[:300]},
    )
    alive = {row.session_key for row in selectors.session_list_for_user(user)}
    UserSession.objects.filter(user=user).exclude(session_key__in=alive).delete()
    audit.record(
        actor=user,
        action=Action.LOGIN,
        obj=user,
        request_meta=RequestMeta(
            ip=ip, user_agent=user_agent[:300], request_id=request_id_var.get()
        ),
    )


def session_forget(*, session_key: str, user: User | None = None) -> None:
    """The session ended by log-out. Side effects: deletes its UserSession row; a LOGOUT audit
    entry for ``user``."""
    UserSession.objects.filter(session_key=session_key).delete()
    if user is not None and user.is_authenticated:
        audit.record(actor=user, action=Action.LOGOUT, obj=user)


def sessions_end(
    *, user: User, keep_session_key: str | None = None, actor: User | None = None
) -> int:
    """ "Log out everywhere": end every session of ``user`` but ``keep_session_key``.
    Returns how many. Side effects: deletes those sessions from the session store (database
    and cache) and their UserSession rows; forgets the user's trusted devices (docs/security.md);
    a SESSION_REVOKED audit entry when any ended (``actor``: who did it, default the user)."""
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    store = _session_store()
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    # Trusted devices go with the sessions: the next log-in asks for the second step again.
    TrustedDevice.objects.filter(user=user).delete()
    if keys:
        audit.record(
            actor=actor or user, action=Action.SESSION_REVOKED, obj=user, after={"ended": len(keys)}
        )
    return len(keys)


def session_end(*, user: User, session_id: int, keep_session_key: str | None = None) -> None:
    """End one of one's own other sessions (the current one ends by logging out). Raises
    ``NotFound`` for anyone else's, and for ``keep_session_key``'s.
    Side effects: deletes that session and its row."""
    row = UserSession.objects.filter(user=user, pk=session_id).first()
    if row is None or row.session_key == keep_session_key:
        raise NotFound(_("This session does not exist."))
    _session_store()(session_key=row.session_key).delete()
    audit.record(
        actor=user,
        action=Action.SESSION_REVOKED,
        obj=user,
        before={"ip": row.ip_address, "user_agent": row.user_agent},
    )
    row.delete()


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """A session got a new key (Django cycles it when the password changes): keep its row.
    Side effects: updates that UserSession row."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def login_failure_audit(*, identity: str, is_locked: bool, request: object = None) -> None:
    """A log-in failed (wrong password or unknown account) — and, when ``is_locked``, that
    failure locked the account or the address (the throttle refuses the next attempts unchecked,
    so a lock is recorded once). ``identity``: what was typed (``email:…`` or ``company:…``).
    Side effects: one or two audit entries, with the address and browser."""
    label = identity.partition(":")[2] or identity
    kind, _sep, value = identity.partition(":")
    account = None
    if kind == "email":
        account = User.objects.filter(email__iexact=value).first()
    meta = request if request is not None else None
    audit.record(action=Action.LOGIN_FAILED, obj=account, actor_label=label, request_meta=meta)
    if is_locked:
        audit.record(action=Action.LOCKOUT, obj=account, actor_label=label, request_meta=meta)


def password_login_refused_audit(*, user: User, request: object = None) -> None:
    """A password log-in refused to an account that signs in only through single sign-on
    (docs/sso.md). Side effects: one audit entry, with the address and browser."""
    audit.record(
        action=Action.PASSWORD_LOGIN_REFUSED,
        obj=user,
        actor_label=user.email,
        request_meta=request if request is not None else None,
    )
