"""Every change made with a token is recorded and shown to its owner on /account/tokens/,
with the time and address of the token's last use; reads are not recorded."""

from __future__ import annotations

import pytest
from django.utils import timezone

from supportal.accounts.models import ApiTokenChange
from supportal.accounts.services.tokens import api_idempotency_keys_forget

pytestmark = pytest.mark.django_db


def test_changes_are_listed_on_the_tokens_page(cast, api_as, client):
    api = api_as(cast.cristina)
    api.token_row.name = "ERP sync"
    api.token_row.save()
    ticket = cast.ticket(cast.cristina)
    assert api.get(f"/api/v1/tickets/{ticket.reference}").status_code == 200
    assert (
        api.post(f"/api/v1/tickets/{ticket.reference}/comments", {"body": "Hi"}).status_code == 201
    )
    refused = api.post(f"/api/v1/tickets/{ticket.reference}/comments", {"body": ""})
    assert refused.status_code == 422
    changes = list(ApiTokenChange.objects.filter(token=api.token_row))
    assert [(c.method, c.path, c.status_code) for c in changes] == [
        ("POST", f"/api/v1/tickets/{ticket.reference}/comments", 201)
    ]
    assert changes[0].ip == "127.0.0.1"

    client.force_login(cast.cristina)
    page = client.get("/account/tokens/").content.decode()
    assert f"POST /api/v1/tickets/{ticket.reference}/comments" in page
    assert "ERP sync" in page
    assert "127.0.0.1" in page
    # Another person's page does not show them.
    client.force_login(cast.colleague)
    assert ticket.reference not in client.get("/account/tokens/").content.decode()


def test_an_idempotent_replay_is_recorded_once(cast, api_as):
    api = api_as(cast.cristina)
    ticket = cast.ticket(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}/comments"
    for _ in range(2):
        assert api.post(path, {"body": "Once"}, **{"Idempotency-Key": "k1"}).status_code == 201
    assert ApiTokenChange.objects.filter(token=api.token_row).count() == 1


def test_old_changes_are_forgotten(cast, api_as):
    api = api_as(cast.cristina)
    ticket = cast.ticket(cast.cristina)
    api.post(f"/api/v1/tickets/{ticket.reference}/comments", {"body": "Hi"})
    ApiTokenChange.objects.update(at=timezone.now() - timezone.timedelta(days=181))
    api_idempotency_keys_forget(timezone.now())
    assert not ApiTokenChange.objects.exists()
