"""Personal access tokens: created in the profile, shown once, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from supportal.accounts.models import ApiToken
from supportal.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from supportal.core.errors import InvalidInput, NotFound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["cristina", "agent_help"])
def test_profile_page_creates_a_token_shown_once(cast, client, who):
    user = getattr(cast, who)
    client.force_login(user)
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    assert b"You have no API tokens" in page.content
    created = client.post(
        "/account/tokens/", {"name": "ERP import", "scope": "write", "expires_in_days": "30"}
    )
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    text = created.context["created_text"]
    assert text.startswith(f"spt_{token.prefix}_")
    assert text.encode() in created.content
    # Stored hashed: the secret is nowhere in the row.
    secret = text.split("_", 2)[2]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.scope == "write"
    assert token.expires_at.date() == (timezone.now() + dt.timedelta(days=30)).date()
    # Shown once: the next visit lists it without the secret.
    again = client.get("/account/tokens/")
    assert b"ERP import" in again.content
    assert secret.encode() not in again.content
    # It works in the API, as its user.
    api = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {text}"})
    assert api.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_ip == "127.0.0.1"


def test_profile_page_refuses_a_blank_name_and_creates_nothing(cast, client):
    client.force_login(cast.cristina)
    response = client.post("/account/tokens/", {"name": "  ", "scope": "read"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoking_on_the_profile_page_stops_the_token(cast, client):
    token, text = api_token_create(user=cast.cristina, name="script")
    client.force_login(cast.cristina)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert (
        client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {text}"}).status_code
        == 401
    )


def test_someone_elses_token_cannot_be_revoked_from_the_profile(cast, client):
    token, _text = api_token_create(user=cast.cristina, name="script")
    client.force_login(cast.other_customer)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(NotFound):
        api_token_revoke(actor=cast.agent_help, token_id=token.pk)


def test_an_administrator_revokes_anyones_token_in_the_admin(cast, client):
    token, text = api_token_create(user=cast.cristina, name="script")
    client.force_login(cast.admin)
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200
    assert b"script" in listing.content
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == cast.admin
    assert api_token_authenticate(text) is None


def test_expired_tokens_and_inactive_users_do_not_authenticate(cast):
    now = timezone.now()
    token, text = api_token_create(user=cast.cristina, name="x", expires_in_days=1, now=now)
    assert api_token_authenticate(text, now=now) == token
    assert api_token_authenticate(text, now=now + dt.timedelta(days=2)) is None
    cast.cristina.is_active = False
    cast.cristina.save(update_fields=["is_active"])
    assert api_token_authenticate(text, now=now) is None
    for junk in ["", "spt", "spt__", "Bearer x", text.replace("spt_", "xyz_")]:
        assert api_token_authenticate(junk) is None


def test_bad_token_settings_are_refused(cast):
    with pytest.raises(InvalidInput):
        api_token_create(user=cast.cristina, name="x", scope="admin")
    with pytest.raises(InvalidInput):
        api_token_create(user=cast.cristina, name="x", expires_in_days=1000)
    assert not ApiToken.objects.exists()
