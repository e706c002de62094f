"""The same POST with the same Idempotency-Key sent at once by several clients: one ticket.

Real threads with their own connections against the committed cast (``transaction=True``), on
PostgreSQL and on the file-based SQLite test database (BEGIN IMMEDIATE)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from supportal.accounts.services import api_token_create
from supportal.tickets.models import Ticket

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_create_one_ticket(cast) -> None:
    _row, token = api_token_create(user=cast.cristina, name="concurrent", scope="write")
    start = threading.Barrier(THREADS, timeout=30)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            response = Client().post(
                "/api/v1/tickets",
                json.dumps({"desk": "HELP", "summary": "Sent four times at once"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same"},
            )
            answers.append((response.status_code, response.json().get("reference", "")))
        except BaseException as exc:  # the test thread reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Ticket.objects.count() == 1
    reference = Ticket.objects.get().reference
    assert answers == [(201, reference)] * THREADS
