"""Reads for single sign-on (docs/sso.md). No side effects."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.sso.models import IdentityProvider


def provider_list_active() -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(is_active=True).order_by("name")


def provider_get_active(slug: str) -> IdentityProvider | None:
    return IdentityProvider.objects.filter(slug=slug, is_active=True).first()


def sso_only_provider_for(user: User) -> IdentityProvider | None:
    """The "SSO only" provider ``user`` must sign in with, if any: an agent linked to it, or an
    agent of one of its domains. Administrators are never held to it — someone must be able
    to log in and mend the configuration when the provider fails."""
    if user.is_superuser or not user.is_agent:
        return None
    for provider in IdentityProvider.objects.filter(is_active=True, is_sso_only=True):
        if (provider.domains and provider.is_domain_allowed(user.email)) or (
            provider.identities.filter(user=user).exists()
        ):
            return provider
    return None


def sso_only_refusal(user: User) -> str:
    """The message refusing ``user`` the password log-in ("" when a password is allowed);
    registered with ``accounts.selectors.PASSWORD_LOGIN_REFUSERS``."""
    provider = sso_only_provider_for(user)
    if provider is None:
        return ""
    return _(
        "This account signs in with single sign-on only: use “Sign in with %(provider)s” on "
        "the log-in page. Passwords are not used for it."
    ) % {"provider": provider.name}
