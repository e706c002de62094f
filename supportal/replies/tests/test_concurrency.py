"""The same form submitted twice at the same instant posts once (PostgreSQL and SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from supportal.replies import services
from supportal.tickets import services as ticket_services
from supportal.tickets.models import Comment

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_simultaneous_submissions_of_one_form_post_once(cast) -> None:
    ticket = cast.ticket()
    start = threading.Barrier(THREADS, timeout=30)
    results: list[services.Submission] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            start.wait()
            results.append(
                services.submission_once(
                    user=cast.agent_help,
                    ticket=ticket,
                    token="double-click",
                    submit=lambda: ticket_services.ticket_comment_add(
                        ticket=ticket, author=cast.agent_help, body="Posted once"
                    ),
                )
            )
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Comment.objects.filter(body="Posted once").count() == 1
    assert sorted(r.is_repeat for r in results) == [False] + [True] * (THREADS - 1)
    posted = Comment.objects.get(body="Posted once")
    assert {r.comment.pk if r.comment else None for r in results} == {posted.pk}
