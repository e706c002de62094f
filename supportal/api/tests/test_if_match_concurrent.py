"""Several clients that read the same version change the request at once with If-Match: exactly
one change is made, the others get 412 (the check runs under the ticket's row lock).

Real threads with their own connections against the committed cast (``transaction=True``), on
PostgreSQL and on the file-based SQLite test database (BEGIN IMMEDIATE)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from supportal.accounts.services import api_token_create

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_from_one_version_make_one_change(cast) -> None:
    ticket = cast.ticket(cast.cristina)
    _row, token = api_token_create(user=cast.agent_help, name="concurrent", scope="write")
    path = f"/api/v1/tickets/{ticket.reference}"
    etag = Client().get(path, headers={"Authorization": f"Bearer {token}"})["ETag"]
    start = threading.Barrier(THREADS, timeout=30)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            response = Client().post(
                f"{path}/comments",
                json.dumps({"body": f"Answer {n}"}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "If-Match": etag},
            )
            statuses.append(response.status_code)
        except BaseException as exc:  # the test thread reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(statuses) == [201] + [412] * (THREADS - 1)
    assert ticket.comments.count() == 1
