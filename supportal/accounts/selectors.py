"""Reads about people, companies and account policy. No side effects, except that
``portal_settings_get`` creates the one settings row when it is missing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    ApiToken,
    ApiTokenChange,
    Organization,
    OrganizationDomain,
    PortalSettings,
    User,
    UserSession,
)

# Checks that refuse a user the password log-in, registered by a higher layer (single sign-on:
# agents who sign in only through their identity provider, docs/sso.md). Each returns the
# message to show, or "" to let the password through.
PASSWORD_LOGIN_REFUSERS: list[Callable[[User], str]] = []

# What an agent page's permission conditions branch on besides the user's id: a statement kept
# once per process (core/statements.py) is kept per kind, and built for a stand-in of the kind.
StaffKind = tuple[bool, bool, bool]


def staff_kind(user: User) -> StaffKind:
    return (user.is_active, user.is_superuser, user.is_agent)


def staff_stand_in(pk: int, kind: StaffKind) -> User:
    """An unsaved user with this id and kind, for building a kept statement's queryset."""
    is_active, is_superuser, is_agent = kind
    return User(pk=pk, is_active=is_active, is_superuser=is_superuser, is_agent=is_agent)


def password_login_refusal(user: User) -> str:
    """Why ``user`` may not log in with a password ("" when they may). No side effects."""
    for refuser in PASSWORD_LOGIN_REFUSERS:
        message = refuser(user)
        if message:
            return message
    return ""


def portal_settings_get() -> PortalSettings:
    return PortalSettings.load()


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def user_with_email_exists(email: str) -> bool:
    return User.objects.filter(email=email.strip().lower()).exists()


def organization_for_email(email: str) -> Organization | None:
    """The active company whose e-mail domain (exactly) is the address's, if any."""
    domain = OrganizationDomain.objects.filter(
        domain=email_domain(email), organization__is_active=True
    ).select_related("organization")
    found = domain.first()
    return found.organization if found else None


def company_login_allowed(user: User) -> bool:
    """Whether a company account may be logged in now: the portal and its company allow it."""
    organization = user.organization
    return (
        user.is_company_account
        and user.is_active
        and organization is not None
        and organization.is_active
        and organization.has_company_login
        and portal_settings_get().is_company_login_enabled
    )


def company_account_for_login(registration_number: str) -> User | None:
    """The company account that ``registration_number`` logs in to, or None when there is none
    or company log-in is off (for the portal or for that company)."""
    number = "".join(registration_number.split())
    if not number or not portal_settings_get().is_company_login_enabled:
        return None
    organizations = list(
        Organization.objects.filter(
            registration_number__iexact=number, has_company_login=True, is_active=True
        )[:2]
    )
    if len(organizations) != 1:  # none, or ambiguous (Organization.clean prevents it)
        return None
    return (
        User.objects.filter(organization=organizations[0], is_company_account=True, is_active=True)
        .select_related("organization")
        .first()
    )


def user_requires_contact_email(user: User) -> bool:
    """Requests made from a company account must name a contact e-mail
    (docs/requirements.md#accounts, A6): that address receives the request's mail, since the
    account's own address is a placeholder."""
    return user.is_company_account


def session_list_for_user(user: User, *, now: datetime | None = None) -> list[UserSession]:
    """The user's sessions that are still alive, newest first."""
    now = now or timezone.now()
    rows = list(UserSession.objects.filter(user=user))
    alive = set(
        Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=now
        ).values_list("session_key", flat=True)
    )
    return [row for row in rows if row.session_key in alive]


def access_request_list_pending() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(state=AccessRequestState.PENDING).order_by("created_at")


def api_token_list_for_user(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (revoked ones too, marked)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


API_TOKEN_CHANGES_SHOWN = 50


def api_token_changes_for_user(user: User) -> list[ApiTokenChange]:
    """The latest changes made with the user's own tokens, newest first (docs/api.md#tokens)."""
    return list(
        ApiTokenChange.objects.filter(token__user=user)
        .select_related("token")
        .order_by("-at", "-pk")[:API_TOKEN_CHANGES_SHOWN]
    )
