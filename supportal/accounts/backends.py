"""Authentication backends: e-mail and password, and a company's registration number and
password (docs/requirements.md#accounts, A6), both throttled (``accounts.throttle``).

The throttle sits in the backends, not in a view, so every log-in form — the portal's, the
company one and the administration site's — is counted and refused alike. A refused attempt
raises ``PermissionDenied``, which stops Django's ``authenticate`` before any other backend
and before any password is checked; the refusal is kept for the request
(``login_refusal_of``) for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import router
from django.http import HttpRequest

from supportal.accounts import selectors, services, throttle
from supportal.accounts.models import User
from supportal.core.statements import row_by


@dataclass(frozen=True)
class PasswordLoginRefused:
    """The password log-in is not for this account (an agent who signs in only through single
    sign-on, docs/sso.md): shown as the form's error, like a throttle's refusal."""

    text: str
    is_locked = False
    status = 403

    def message(self, now: datetime | None = None) -> str:
        return self.text


LoginRefusal = throttle.Refusal | PasswordLoginRefused

# Why an attempt was refused, by request: Django's ``authenticate`` answers only None or
# PermissionDenied, and the log-in form says which refusal it was.
_refusals: WeakKeyDictionary[HttpRequest, LoginRefusal] = WeakKeyDictionary()


def login_refusal_of(request: HttpRequest | None) -> LoginRefusal | None:
    """The refusal of this request's log-in attempt, if the throttle or the account refused it."""
    return _refusals.get(request) if request is not None else None


def _password_login_refused(request: HttpRequest | None, email: str) -> bool:
    """Refuse, before any password is checked, an account that may not use one: the person is
    told where to sign in instead (the refusal says no more than the log-in page's "Sign in
    with …" buttons already do). Not counted by the throttle: no password is tried."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    message = selectors.password_login_refusal(user)
    if not message:
        return False
    services.password_login_refused_audit(user=user, request=request)
    if request is not None:
        _refusals[request] = PasswordLoginRefused(message)
    return True


def _throttled(
    request: HttpRequest | None, identity: str, check: Callable[[], User | None]
) -> User | None:
    ip = throttle.client_ip(request)
    # Counted before the password is checked: parallel guesses cannot outrun the count.
    reservation = throttle.login_attempt_reserve(identity=identity, ip=ip)
    if isinstance(reservation, throttle.Refusal):
        if request is not None:
            _refusals[request] = reservation
        raise PermissionDenied
    user = check()
    if user is not None:
        throttle.login_success_record(identity=identity, reservation=reservation)
    else:
        services.login_failure_audit(
            identity=identity,
            is_locked=bool(
                (refusal := throttle.login_refusal(identity=identity, ip=ip)) and refusal.is_locked
            ),
            request=request,
        )
    return user


class EmailBackend(ModelBackend):
    """Django's model backend (user name = e-mail address, any case), throttled. Company
    accounts do not log in here: only by registration number, while that is switched on."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)  # type: ignore[assignment]
        if not username or password is None:
            return None
        username = username.strip()
        if selectors.PASSWORD_LOGIN_REFUSERS and _password_login_refused(request, username):
            raise PermissionDenied
        return _throttled(
            request,
            throttle.email_identity(username),
            lambda: super(EmailBackend, self).authenticate(
                request, username=username, password=password
            ),
        )

    def user_can_authenticate(self, user: User) -> bool:  # type: ignore[override]
        return super().user_can_authenticate(user) and not user.is_company_account

    def get_user(self, user_id: int) -> User | None:
        """The session's user, as Django's backend reads it (by key, active, not a company
        account), with the SELECT compiled once per process: every logged-in page runs
        it (docs/performance.md, "Seventh round")."""
        user = row_by(User, "pk", user_id, using=router.db_for_read(User))
        return user if user is not None and self.user_can_authenticate(user) else None


class CompanyLoginBackend(BaseBackend):
    """A company's registration number and its company account's password
    (docs/requirements.md#accounts, A6), when company log-in is on for the portal and for that
    company. Switching it off ends the company account's sessions at their next request
    (``get_user``)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        registration_number: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> User | None:
        if not registration_number or password is None:
            return None
        return _throttled(
            request,
            throttle.company_identity(registration_number),
            lambda: self._check(registration_number, password),
        )

    def _check(self, registration_number: str, password: str) -> User | None:
        user = selectors.company_account_for_login(registration_number)
        if user is None:
            # Hash anyway, so an unknown number takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and selectors.company_login_allowed(user):
            return user
        return None

    def get_user(self, user_id: int) -> User | None:
        user = (
            User.objects.filter(pk=user_id, is_company_account=True)
            .select_related("organization")
            .first()
        )
        if user is not None and selectors.company_login_allowed(user):
            return user
        return None
