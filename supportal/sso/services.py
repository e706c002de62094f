"""Single sign-on: from a checked ID token to an agent (docs/sso.md).

``sso_user_for_claims`` finds the agent — by the provider's subject first (so a changed
address still finds the same account), else by a verified address — or creates one when the
provider may; ``sso_failure_record`` writes why a sign-in was refused. The ID token itself is
checked before (``client``); this module decides who it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts.models import User
from supportal.audit.models import Action
from supportal.core.errors import DomainError
from supportal.desks.models import DeskMembership
from supportal.sso.models import IdentityProvider, SsoIdentity

# RFC 8176 method references: a second factor besides the password, or a phishing-resistant
# one. "mfa" itself says several factors were used (Microsoft Entra ID sends ["pwd", "mfa"]).
_SECOND_FACTORS = {"otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm"}


class SsoRefused(DomainError):
    """The provider vouched for someone Supportal will not sign in; ``reason`` is for the log,
    the message for the person."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignIn:
    user: User
    is_mfa: bool
    is_created: bool


def is_mfa(provider: IdentityProvider, claims: Mapping[str, Any]) -> bool:
    """Whether the provider says the person used more than a password: ``amr`` with "mfa" or a
    second factor, or an ``acr`` the administrator listed as meaning two factors."""
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    methods = {str(method).lower() for method in amr}
    if "mfa" in methods or methods & _SECOND_FACTORS:
        return True
    acr = str(claims.get("acr") or "")
    return bool(acr) and acr in provider.mfa_acr_values.split()


def _verified_email(provider: IdentityProvider, claims: Mapping[str, Any]) -> str:
    email = str(claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise SsoRefused(
            _("The identity provider did not say which e-mail address you use."),
            reason="no e-mail claim (ask for the email scope)",
        )
    verified = claims.get("email_verified")
    # Some providers send "true" as text.
    if provider.requires_email_verified and verified not in (True, "true"):
        raise SsoRefused(
            _("The identity provider has not verified your e-mail address."),
            reason=f"email_verified is {verified!r} for {email}",
        )
    if not provider.is_domain_allowed(email):
        raise SsoRefused(
            _("Addresses of this domain may not sign in here."),
            reason=f"domain of {email} not allowed",
        )
    return email


def _may_sign_in(user: User) -> None:
    if not user.is_active:
        raise SsoRefused(_("This account is switched off."), reason="account inactive")
    if not (user.is_agent or user.is_superuser) or user.is_company_account:
        raise SsoRefused(
            _("Single sign-on is for the support team; customers log in with their password."),
            reason="not an agent",
        )


def _agent_create(provider: IdentityProvider, email: str, claims: Mapping[str, Any]) -> User:
    user = User.objects.create_user(
        email=email,
        password=None,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        is_agent=True,
    )
    if provider.desk_id is not None:
        DeskMembership.objects.create(desk_id=provider.desk_id, user=user, role=provider.desk_role)
    audit.record(
        action=Action.SSO_USER_CREATED,
        obj=user,
        actor_label=email,
        desk_id=provider.desk_id,
        after={"provider": provider.name, "desk": provider.desk_id, "role": provider.desk_role},
    )
    return user


def sso_user_for_claims(
    *, provider: IdentityProvider, claims: Mapping[str, Any], now: datetime | None = None
) -> SignIn:
    """``_sso_user_for_claims``, once more when a parallel first sign-in of the same person
    (two tabs) created the link or the agent first: the second finds what the first made."""
    try:
        return _sso_user_for_claims(provider=provider, claims=claims, now=now)
    except IntegrityError:
        return _sso_user_for_claims(provider=provider, claims=claims, now=now)


def _sso_user_for_claims(
    *, provider: IdentityProvider, claims: Mapping[str, Any], now: datetime | None = None
) -> SignIn:
    """The agent a checked ID token stands for: the one linked to (provider, sub); else the
    agent with the verified address, who is linked from now on; else a new agent when the
    provider creates them. Raises ``SsoRefused`` otherwise.
    Side effects: the SsoIdentity link (created or its last sign-in), a created agent with
    their desk membership, and the ``sso_login`` (and ``sso_user_created``) audit entries."""
    now = now or timezone.now()
    subject = str(claims["sub"])
    is_created = False
    with transaction.atomic():
        link = (
            SsoIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=provider, subject=subject)
            .first()
        )
        if link is not None:
            user = link.user
        else:
            email = _verified_email(provider, claims)
            found = User.objects.filter(email__iexact=email).first()
            if found is None and not provider.creates_agents:
                raise SsoRefused(
                    _("No account of the support team uses %(email)s.") % {"email": email},
                    reason=f"no account for {email}",
                )
            if found is None:
                user, is_created = _agent_create(provider, email, claims), True
            else:
                user = found
            link = SsoIdentity(provider=provider, subject=subject, user=user)
        _may_sign_in(user)
        link.email = str(claims.get("email") or "")[:254]
        link.last_login_at = now
        link.save()
        mfa = is_mfa(provider, claims)
        audit.record(
            actor=user,
            action=Action.SSO_LOGIN,
            obj=user,
            after={
                "provider": provider.name,
                "sub": subject,
                "mfa": mfa,
                "amr": claims.get("amr"),
                "acr": claims.get("acr"),
            },
        )
    return SignIn(user=user, is_mfa=mfa, is_created=is_created)


def sso_failure_record(*, provider: IdentityProvider, reason: str, email: str = "") -> None:
    """A sign-in through ``provider`` failed (refused by the provider, a token that failed a
    check, or nobody to sign in). Side effects: one ``sso_failed`` audit entry."""
    account = User.objects.filter(email__iexact=email).first() if email else None
    audit.record(
        action=Action.SSO_FAILED,
        obj=account,
        actor_label=email or provider.name,
        after={"provider": provider.name, "reason": reason[:500]},
    )
