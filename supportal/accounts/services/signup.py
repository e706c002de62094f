"""Self-service sign-up and access requests (docs/accounts.md)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts import selectors
from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    Organization,
    PortalSettings,
    SignupMode,
    User,
)
from supportal.accounts.services._common import (
    _email_clean,
    _language,
    _link,
    _mail_allowed,
    _queue_or_discard,
)
from supportal.accounts.services.passwords import _password_reset_mail
from supportal.accounts.services.registration import customer_invite
from supportal.accounts.tokens import (
    SIGNUP_LINK_MAX_AGE,
    signup_token_make,
)
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, PermissionRefused


def signup_request(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    company_name: str = "",
    registration_number: str = "",
    message: str = "",
    language: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> None:
    """Start a sign-up: mail the address a link that confirms it (sign-up modes open, known
    companies and request access). The page that calls this answers the same whatever happens.

    The mail says what comes next: a link to continue; or, for an address that already has an
    account, a password-reset link; or, in "known companies" mode for an unknown domain, that
    sign-up is not possible for that address. Raises ``PermissionRefused`` when sign-up is
    closed and ``InvalidInput`` for a bad address. Side effects: at most one mail per address
    per MAIL_REPEAT_DURATION; no row is written before the address is confirmed.
    """
    now = now or timezone.now()
    portal = selectors.portal_settings_get()
    if portal.signup_mode == SignupMode.CLOSED:
        raise PermissionRefused(_("Sign-up is closed: accounts are created by invitation."))
    email = _email_clean(email)
    language = _language(language)
    user = User.objects.filter(email=email).first()
    with transaction.atomic():
        if user is not None:
            active = user.is_active and not user.is_company_account
            _password_reset_mail(
                user=user if active else None,
                email=email,
                language=language,
                reason="signup",
                now=now,
                ip=ip,
            )
            return
        data = {
            "email": email,
            "first_name": first_name.strip()[:150],
            "last_name": last_name.strip()[:150],
            "language": language,
        }
        if portal.signup_mode == SignupMode.REQUEST:
            data.update(
                company_name=company_name.strip()[:200],
                registration_number=registration_number.strip()[:40],
                message=message.strip()[:1000],
            )
        _signup_verify_mail(portal=portal, data=data, ip=ip, now=now)


def _signup_verify_mail(
    *, portal: PortalSettings, data: dict[str, str], ip: str | None, now: datetime
) -> None:
    """Queue the mail that confirms a new address (unless the address or the IP had too many):
    a link to continue, carrying ``data`` signed; or, in "known companies" mode for an address
    of no known company, that sign-up is not possible for it."""
    email, language = data["email"], data["language"]
    is_refused = (
        portal.signup_mode == SignupMode.DOMAINS and selectors.organization_for_email(email) is None
    )
    _queue_or_discard(
        send=_mail_allowed("signup", email, ip=ip),
        to=email,
        template="signup_verify",
        language=language,
        context={
            "portal_name": portal.portal_name,
            "email": email,
            "is_refused": is_refused,
            "is_request": portal.signup_mode == SignupMode.REQUEST,
            "link": ""
            if is_refused
            else _link("accounts:signup_verify", token=signup_token_make(data, now=now)),
            "lifetime_hours": int(SIGNUP_LINK_MAX_AGE.total_seconds() // 3600),
        },
    )


def signup_complete(*, data: dict, password: str) -> User:
    """Create the account of a confirmed sign-up (modes open and known companies) with its
    password. ``data`` comes from a valid sign-up link. Raises ``PermissionRefused`` if the
    mode no longer allows it, ``InvalidInput`` (code ``exists``) if the address has an account
    by now (the link was used), ``ValidationError`` naming each broken password rule.
    Side effects: creates the user, in the company of the address's domain if one matches."""
    portal = selectors.portal_settings_get()
    email = _email_clean(data.get("email", ""))
    organization = selectors.organization_for_email(email)
    if portal.signup_mode not in (SignupMode.OPEN, SignupMode.DOMAINS) or (
        portal.signup_mode == SignupMode.DOMAINS and organization is None
    ):
        raise PermissionRefused(_("Sign-up is not possible for this address."))
    user = User(
        email=email,
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        language=_language(data.get("language", "")),
        organization=organization,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvalidInput(
            _("This address already has an account. Log in, or use “Forgot your password?”."),
            code="exists",
        ) from None
    return user


def access_request_create(*, data: dict) -> AccessRequest:
    """Record a confirmed request for access (mode "request access"); an agent decides.
    Idempotent: a request already waiting for the address is returned unchanged.
    Side effects: creates one AccessRequest."""
    email = _email_clean(data.get("email", ""))
    with transaction.atomic():
        pending = selectors.access_request_list_pending().filter(email=email).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                return AccessRequest.objects.create(
                    email=email,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    company_name=data.get("company_name", ""),
                    registration_number=data.get("registration_number", ""),
                    message=data.get("message", ""),
                    language=data.get("language", ""),
                    organization=selectors.organization_for_email(email),
                )
        except IntegrityError:  # the same link confirmed twice at once
            return selectors.access_request_list_pending().get(email=email)


def _decide(access_request: AccessRequest, decided_by: User) -> None:
    if not (decided_by.is_agent or decided_by.is_superuser):
        raise PermissionRefused(_("Only the support team decides access requests."))
    if access_request.state != AccessRequestState.PENDING:
        raise InvalidInput(_("This request has already been decided."), code="decided")


def access_request_approve(
    *,
    access_request: AccessRequest,
    decided_by: User,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> User:
    """Approve a request for access: the person is invited (``customer_invite``) into
    ``organization`` (default: the request's, else the address's domain).
    Side effects: those of ``customer_invite``; the request is marked approved; an audit
    entry."""
    now = now or timezone.now()
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _decide(access_request, decided_by)
        organization = organization or access_request.organization
        user = customer_invite(
            email=access_request.email,
            invited_by=decided_by,
            organization=organization,
            language=access_request.language,
            now=now,
        )
        if not user.first_name and not user.last_name:
            user.first_name = access_request.first_name
            user.last_name = access_request.last_name
            user.save(update_fields=["first_name", "last_name"])
        access_request.state = AccessRequestState.APPROVED
        access_request.organization = user.organization
        access_request.decided_by = decided_by
        access_request.decided_at = now
        access_request.save(update_fields=["state", "organization", "decided_by", "decided_at"])
        audit.record(
            actor=decided_by,
            action=Action.ACCESS_REQUEST_DECIDED,
            obj=access_request,
            before={"state": AccessRequestState.PENDING},
            after={
                "state": access_request.state,
                "email": access_request.email,
                "organization": access_request.organization,
                "user": user.pk,
            },
        )
    return user


def access_request_reject(
    *, access_request: AccessRequest, decided_by: User, now: datetime | None = None
) -> None:
    """Reject a request for access. Side effects: the request is marked rejected; an audit
    entry; no mail."""
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
        _decide(access_request, decided_by)
        access_request.state = AccessRequestState.REJECTED
        access_request.decided_by = decided_by
        access_request.decided_at = now or timezone.now()
        access_request.save(update_fields=["state", "decided_by", "decided_at"])
        audit.record(
            actor=decided_by,
            action=Action.ACCESS_REQUEST_DECIDED,
            obj=access_request,
            before={"state": AccessRequestState.PENDING},
            after={"state": access_request.state, "email": access_request.email},
        )
