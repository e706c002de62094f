"""Two-factor sign-in (docs/security.md#two-factor-sign-in): enrolment of an authenticator app
(TOTP, pyotp), single-use recovery codes, the second step of a log-in (throttled like the
password, ``accounts.throttle``), trusted devices, and an administrator's reset.

The second step comes after Django's own log-in: ``twofactor_state_at_login`` decides, when a
session is created, whether it must still pass the second step (``VERIFY``) or enrol first
(``ENROLL``); ``accounts.middleware.TwoFactorMiddleware`` holds such a session to those pages.
Every log-in form (the portal's, the company one, the administration site's) is covered so.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts import selectors, throttle
from supportal.accounts.languages import recipient_language
from supportal.accounts.models import (
    Passkey,
    RecoveryCode,
    TotpDevice,
    TrustedDevice,
    TwoFactorPolicy,
    User,
)
from supportal.accounts.services.profiles import sessions_end
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.core.mails import mail_queue

# The session's state (``SESSION_KEY``): verified or not needed, second step due, enrolment due.
SESSION_KEY = "twofactor"
OK, VERIFY, ENROLL = "ok", "verify", "enroll"
TRUSTED_COOKIE = "supportal_trusted_device"
TRUSTED_DURATION = timedelta(days=30)
RECOVERY_CODE_COUNT = 10
ISSUER = "Supportal"


def _keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _code_normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def has_second_factor(user: User) -> bool:
    return (
        TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(user=user).exists()
    )


def is_required_for(user: User, policy: TwoFactorPolicy | None = None) -> bool:
    """Whether the policy makes ``user`` use a second step: by role — administrators, team
    leads (of any desk), agents. Customers choose for themselves."""
    policy = policy or TwoFactorPolicy.load()
    if user.is_superuser and policy.is_required_for_administrators:
        return True
    if not user.is_agent:
        return False
    if policy.is_required_for_agents:
        return True
    return (
        policy.is_required_for_team_leads
        and user.desk_memberships.filter(role="team_lead").exists()
    )


def trusted_device_check(*, user: User, token: str, now: datetime | None = None) -> bool:
    if not token:
        return False
    return TrustedDevice.objects.filter(
        user=user, token_hash=_keyed_hash(token), expires_at__gt=now or timezone.now()
    ).exists()


def twofactor_state_at_login(*, user: User, trusted_token: str = "") -> str:
    """What a new session of ``user`` must still do: OK, VERIFY (the second step) or ENROLL.
    A trusted device skips the second step. No side effects."""
    if has_second_factor(user):
        if trusted_device_check(user=user, token=trusted_token):
            return OK
        return VERIFY
    return ENROLL if is_required_for(user) else OK


def totp_begin(*, user: User, renew: bool = True) -> TotpDevice:
    """Start enrolling an authenticator app: a new secret, unconfirmed (an earlier unconfirmed
    one is replaced; a confirmed one stays until the new one is confirmed). With ``renew``
    False — the page shown again after a wrong code — an unconfirmed secret is kept: the person
    has scanned it already, and a new QR code would make their app's codes wrong.
    Side effects: the user's TotpDevice row, when none is confirmed."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    if device is not None and not renew and device.secret:
        return device
    device = device or TotpDevice(user=user)
    device.secret = pyotp.random_base32()
    device.save()
    return device


def totp_uri(device: TotpDevice) -> str:
    portal = selectors.portal_settings_get().portal_name or ISSUER
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.email, issuer_name=portal)


def _totp_step_accepted(device: TotpDevice, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (the current one, or one either side for clocks a
    little off), if it is right and newer than the last one used."""
    totp = pyotp.TOTP(device.secret)
    code = _code_normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if candidate <= device.last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def totp_confirm(*, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Confirm the app with a first right code; returns new recovery codes (shown once).
    Raises ``InvalidInput`` for a wrong code. Side effects: the device confirmed, recovery
    codes replaced, an audit entry."""
    now = now or timezone.now()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise InvalidInput(_("Start again: scan the new QR code."), field="code")
        step = _totp_step_accepted(device, code, now)
        if step is None:
            raise InvalidInput(
                _("The code is not right. Check the time on your phone and try the next one."),
                field="code",
            )
        device.confirmed_at, device.last_step = now, step
        device.save(update_fields=["confirmed_at", "last_step"])
        codes = _recovery_codes_replace(user)
        audit.record(actor=user, action=Action.TWOFA_ENROLLED, obj=user, after={"method": "totp"})
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = ["-".join((part[:5], part[5:])) for part in (secrets.token_hex(5) for _ in range(10))][
        :RECOVERY_CODE_COUNT
    ]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_keyed_hash(_code_normalise(c))) for c in codes]
    )
    return codes


def recovery_codes_fresh(user: User) -> list[str]:
    """New recovery codes, in the caller's transaction (a first factor just added)."""
    return _recovery_codes_replace(user)


def recovery_codes_new(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working. Returns them (shown once).
    Side effects: the rows replaced, an audit entry."""
    if not has_second_factor(user):
        raise PermissionRefused(_("Turn on two-factor sign-in first."))
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit.record(actor=user, action=Action.RECOVERY_CODES_NEW, obj=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@dataclass(frozen=True)
class SecondStep:
    method: str  # "totp" or "recovery"
    recovery_codes_left: int | None = None


def second_step_verify(
    *, user: User, code: str, ip: str | None, now: datetime | None = None
) -> SecondStep | throttle.Refusal | None:
    """Check the code of the second step: the authenticator's (each time step once) or an
    unused recovery code (then spent). Throttled like the password (per account and address,
    counted before the check: ``throttle.login_attempt_reserve``). Returns the method, a
    ``Refusal`` while throttled, or None for a wrong code.
    Side effects: the throttle's counters; the device's last step or the code spent; audit
    entries for a failure and for a recovery code used."""
    now = now or timezone.now()
    identity = f"twofactor:{user.pk}"
    reservation = throttle.login_attempt_reserve(identity=identity, ip=ip, now=now)
    if isinstance(reservation, throttle.Refusal):
        return reservation
    with transaction.atomic():
        result = _totp_use(user, code, now) or _recovery_use(user, code, now)
        if result is None:
            audit.record(actor=user, action=Action.TWOFA_FAILED, obj=user)
    if result is not None:
        throttle.login_success_record(identity=identity, reservation=reservation)
    return result


def _totp_use(user: User, code: str, now: datetime) -> SecondStep | None:
    device = (
        TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    )
    if device is None:
        return None
    step = _totp_step_accepted(device, code, now)
    if step is None:
        return None
    device.last_step = step
    device.save(update_fields=["last_step"])
    return SecondStep(method="totp")


def _recovery_use(user: User, code: str, now: datetime) -> SecondStep | None:
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_keyed_hash(_code_normalise(code)), used_at__isnull=True
    ).update(used_at=now)  # one UPDATE: two parallel uses cannot both spend it
    if not spent:
        return None
    left = recovery_codes_left(user)
    audit.record(actor=user, action=Action.RECOVERY_CODE_USED, obj=user, after={"codes_left": left})
    return SecondStep(method="recovery", recovery_codes_left=left)


def trusted_device_add(*, user: User, user_agent: str, now: datetime | None = None) -> str:
    """Trust this browser for 30 days; returns the token for its cookie (only a keyed hash is
    kept). Side effects: one TrustedDevice row, an audit entry."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        TrustedDevice.objects.filter(user=user, expires_at__lte=now).delete()
        TrustedDevice.objects.create(
            user=user,
            token_hash=_keyed_hash(token),
            user_agent=user_agent[:300],
            created_at=now,
            expires_at=now + TRUSTED_DURATION,
        )
        audit.record(actor=user, action=Action.TRUSTED_DEVICE_ADDED, obj=user)
    return token


def trusted_devices_forget(*, user: User) -> int:
    """Side effects: deletes the user's trusted devices (with "log out everywhere")."""
    deleted, _by_model = TrustedDevice.objects.filter(user=user).delete()
    return deleted


def twofactor_disable(*, user: User) -> None:
    """Turn one's own second step off — refused when the policy requires it.
    Side effects: the app, passkeys, recovery codes and trusted devices deleted; an entry."""
    if is_required_for(user):
        raise PermissionRefused(_("Your role requires two-factor sign-in."))
    with transaction.atomic():
        _second_factors_delete(user)
        audit.record(actor=user, action=Action.TWOFA_DISABLED, obj=user)


def _second_factors_delete(user: User) -> None:
    TotpDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    trusted_devices_forget(user=user)


def twofactor_reset(*, actor: User, user: User, language: str = "") -> None:
    """An administrator resets a person's second step (a lost phone): every factor deleted,
    every session ended; the person enrols again at the next log-in when their role requires
    it. Side effects: those rows; an audit entry; a mail telling the person."""
    if not actor.is_superuser:
        raise PermissionRefused(_("Only administrators reset two-factor sign-in."))
    with transaction.atomic():
        _second_factors_delete(user)
        sessions_end(user=user, actor=actor)
        audit.record(actor=actor, action=Action.TWOFA_RESET, obj=user)
        mail_queue(
            to=user.email,
            template="twofactor_reset",
            language=language or recipient_language(user),
            context={
                "portal_name": selectors.portal_settings_get().portal_name,
                "email": user.email,
                "actor_name": actor.get_full_name() or actor.email,
            },
        )
