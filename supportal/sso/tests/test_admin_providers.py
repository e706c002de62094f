"""Administrators add an identity provider in the administration: the redirect URI to register
is shown, the change is audited, and no secret is ever stored (docs/sso.md)."""

from __future__ import annotations

from django.test import Client

from supportal.audit.models import Action, AuditEntry
from supportal.sso.models import IdentityProvider


def test_an_administrator_adds_a_provider_and_sees_the_redirect_uri(cast, settings):
    settings.SUPPORTAL_BASE_URL = "https://help.firma.ro"
    web = Client()
    web.force_login(cast.admin)
    form = {
        "name": "Firma ID",
        "slug": "firma",
        "is_active": "on",
        "issuer": "https://login.microsoftonline.com/tenant/v2.0",
        "client_id": "app-id",
        "client_secret_env": "SUPPORTAL_SSO_FIRMA",
        "client_secret_file": "",
        "scopes": "openid email profile",
        "mfa_acr_values": "",
        "allowed_domains": "support.test",
        "desk_role": "agent",
        "is_sso_only": "on",
    }
    response = web.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get(slug="firma")
    page = web.get(f"/admin/sso/identityprovider/{provider.pk}/change/").content.decode()
    assert "https://help.firma.ro/sso/firma/callback/" in page
    entry = AuditEntry.objects.get(action=Action.SETTINGS_CHANGED, object_id=str(provider.pk))
    assert entry.after["name"] == "Firma ID" and entry.actor == cast.admin


def test_an_unsafe_secret_source_is_refused_and_the_form_keeps_what_was_typed(cast):
    web = Client()
    web.force_login(cast.admin)
    response = web.post(
        "/admin/sso/identityprovider/add/",
        {
            "name": "Firma ID",
            "slug": "firma",
            "issuer": "https://id.firma.ro",
            "client_id": "app-id",
            "client_secret_env": "SECRET_KEY",
            "scopes": "openid email profile",
            "desk_role": "agent",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "starts with SUPPORTAL_SSO_" in page
    assert 'value="https://id.firma.ro"' in page
    assert not IdentityProvider.objects.exists()
