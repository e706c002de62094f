"""The same form submitted twice at the same instant posts once (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest

from supportal.core.tests.threads import at_once
from supportal.replies import services
from supportal.tickets import services as ticket_services
from supportal.tickets.models import Comment

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_simultaneous_submissions_of_one_form_post_once(cast) -> None:
    ticket = cast.ticket()
    results: list[services.Submission] = []

    def submit() -> None:
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

    assert at_once(THREADS, submit, timeout=60) == []
    assert Comment.objects.filter(body="Posted once").count() == 1
    assert sorted(r.is_repeat for r in results) == [False] + [True] * (THREADS - 1)
    posted = Comment.objects.get(body="Posted once")
    assert {r.comment.pk if r.comment else None for r in results} == {posted.pk}
