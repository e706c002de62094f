"""A change that waited for another's row lock is timed after it: the timeline's order (by time)
is the order the changes were committed in (docs/security.md, "Concurrency"). On PostgreSQL the
second waits for the row lock; on SQLite for the write lock its IMMEDIATE transaction takes at
BEGIN: both databases queue the second change the same way."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from supportal.tickets import services
from supportal.tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_comment_that_waited_for_the_lock_is_timed_after_the_one_that_held_it(cast):
    ticket = cast.ticket()
    holding = threading.Event()
    errors = []

    def first() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)
                holding.set()
                time.sleep(0.8)
                services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="first")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            holding.wait(10)
            services.ticket_comment_add(ticket=ticket, author=cast.lead_help, body="second")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    events = list(Event.objects.filter(ticket=ticket, comment__isnull=False).order_by("pk"))
    assert [e.comment.body for e in events] == ["first", "second"]
    assert events[0].created_at <= events[1].created_at
    timeline = Event.objects.filter(ticket=ticket, comment__isnull=False).order_by("created_at")
    assert [e.comment.body for e in timeline] == ["first", "second"]


def test_no_service_takes_its_time_before_the_lock():
    """One way to get the time: ``_lock(ticket, now)`` returns it, taken under the lock. A
    service (or a bulk action over services) that read the time first would time a change that
    waited for the lock before the one that held it."""
    import ast
    from pathlib import Path

    folder = Path(services.__file__).parent
    early = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            calls = {
                call.func.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            }
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            services_that_lock = {
                "ticket_transition",
                "ticket_assign",
                "ticket_fields_change",
                "ticket_comment_add",
            }
            locks = "_lock" in calls or names & services_that_lock
            if locks and "_now" in calls:
                early.append(f"{path.name}:{node.name}")
    assert early == []
