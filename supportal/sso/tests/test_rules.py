"""The provider's settings as an administrator fills them in, and when the provider's own
second factor counts (docs/sso.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from supportal.sso.models import IdentityProvider
from supportal.sso.services import is_mfa


def _provider(**fields) -> IdentityProvider:
    values = {
        "name": "Entra",
        "slug": "entra",
        "issuer": "https://login.microsoftonline.com/tenant/v2.0",
        "client_id": "app",
        "client_secret_env": "SUPPORTAL_SSO_ENTRA",
        **fields,
    }
    return IdentityProvider(**values)


@pytest.mark.parametrize(
    "claims, acr_values, expected",
    [
        ({"amr": ["pwd", "mfa"]}, "", True),  # Microsoft Entra ID
        ({"amr": ["pwd", "otp"]}, "", True),
        ({"amr": ["hwk"]}, "", True),  # a security key
        ({"amr": ["pwd"]}, "", False),
        ({}, "", False),  # Google sends no amr
        ({"acr": "gold"}, "gold silver", True),  # Keycloak's level of authentication
        ({"acr": "bronze"}, "gold silver", False),
        ({"acr": "gold"}, "", False),
        ({"amr": "mfa"}, "", True),
    ],
)
def test_the_providers_factor_counts_only_when_it_says_so(claims, acr_values, expected):
    assert is_mfa(_provider(mfa_acr_values=acr_values), claims) is expected


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"client_secret_env": ""}, "client_secret_env"),  # neither
        ({"client_secret_file": "entra"}, "client_secret_env"),  # both
        ({"client_secret_env": "SECRET_KEY"}, "client_secret_env"),
        ({"client_secret_env": "", "client_secret_file": "../etc/passwd"}, "client_secret_file"),
        ({"creates_agents": True, "allowed_domains": "firma.ro"}, "desk"),
        ({"requires_email_verified": False}, "allowed_domains"),
    ],
)
def test_settings_that_would_be_unsafe_are_refused(fields, field, db):
    with pytest.raises(ValidationError) as refused:
        _provider(**fields).clean()
    assert field in refused.value.message_dict


def test_a_complete_provider_is_accepted(db):
    provider = _provider(allowed_domains="firma.ro\n@Firma.cz\n", requires_email_verified=False)
    provider.clean()
    assert provider.domains == ["firma.ro", "firma.cz"]
    assert provider.is_domain_allowed("Ana@FIRMA.ro") and not provider.is_domain_allowed("a@x.ro")


def test_a_parallel_first_sign_in_of_the_same_person_is_not_an_error(db, cast, monkeypatch):
    """Two tabs finishing their first sign-in at once: the slower one's link collides with the
    faster one's, and it signs in with what the faster one made."""
    from supportal.sso import services
    from supportal.sso.models import SsoIdentity

    provider = _provider(allowed_domains="support.test")
    provider.save()
    original = services._verified_email
    calls = []

    def faster_tab_first(provider, claims):
        if not calls:
            # What the other tab commits between our look-up and our write.
            SsoIdentity.objects.create(provider=provider, subject="s-1", user=cast.agent_help)
        calls.append(1)
        return original(provider, claims)

    monkeypatch.setattr(services, "_verified_email", faster_tab_first)
    claims = {"sub": "s-1", "email": cast.agent_help.email, "email_verified": True}
    signed_in = services.sso_user_for_claims(provider=provider, claims=claims)
    assert signed_in.user == cast.agent_help
    assert SsoIdentity.objects.get(subject="s-1").user == cast.agent_help
