"""The same POST with the same Idempotency-Key sent at once by several clients: one ticket.

Real threads with their own connections against the committed cast (``transaction=True``), on
PostgreSQL and on the file-based SQLite test database (BEGIN IMMEDIATE)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from supportal.accounts.services import api_token_create
from supportal.core.tests.threads import at_once
from supportal.tickets.models import Ticket

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_create_one_ticket(cast) -> None:
    _row, token = api_token_create(user=cast.cristina, name="concurrent", scope="write")
    answers: list[tuple[int, str]] = []

    def work() -> None:
        response = Client().post(
            "/api/v1/tickets",
            json.dumps({"desk": "HELP", "summary": "Sent four times at once"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same"},
        )
        answers.append((response.status_code, response.json().get("reference", "")))

    assert at_once(THREADS, work) == []
    assert Ticket.objects.count() == 1
    reference = Ticket.objects.get().reference
    assert answers == [(201, reference)] * THREADS
