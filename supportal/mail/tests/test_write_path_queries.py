"""The write paths cost what they write, not what exists (docs/performance.md, "Write paths").

Creating a request and taking in one e-mail (a new request, or an answer to one) run a fixed
number of statements: as many with a few requests, companies and customers in the database as
with many more, and at most the counts measured when the write paths were last profiled. The
shortcuts taken for it (the search document appended to, business calendars built once per
process) give the very rows the long way gives.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.accounts.models import Organization, User
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.search.index import ticket_index_update
from supportal.search.models import SearchDocument
from supportal.sla.models import Clock, Goal, WorkingPeriod
from supportal.sla.tests import conftest as sla_fixtures
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.models import Ticket

# The SLA tests' calendar and default policy, for every test here.
default_policy = sla_fixtures.default_policy
office_calendar = sla_fixtures.office_calendar
pytestmark = pytest.mark.usefixtures("default_policy")

MONDAY_9 = bucharest("Mon 2026-01-12 09:00")

# Measured on PostgreSQL (SQLite runs the same or fewer: no NOTIFY), except where a path writes
# rows of several tables in one statement on PostgreSQL (its data-modifying WITH; SQLite has
# none): creating a request, on its own or from a mail (docs/performance.md, "Sixth round").
# A change that adds a statement to these paths should say why, here. A mail's counts include
# storing it: on PostgreSQL one autocommitted INSERT that also wakes the workers, and the
# processing's outcome turns off the wait for the disk at commit in its own UPDATE
# (docs/performance.md, "Ninth round: the e-mail intake"). Since the tenth round the ticket
# services take no savepoint inside the processing, an answer's pending notification is one
# statement on PostgreSQL, and the answered request is not read again after its comment.
CREATE_AT_MOST = {"postgresql": 7, "sqlite": 10}
NEW_REQUEST_MAIL_AT_MOST = {"postgresql": 17, "sqlite": 20}
ANSWER_MAIL_AT_MOST = {"postgresql": 18, "sqlite": 19}


def _count(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def _create(cast, summary: str) -> Ticket:
    return services.ticket_create(
        desk=cast.help_desk,
        requester=cast.cristina,
        actor=cast.cristina,
        summary=summary,
        details="Nu pot intra in cont.",
        request_type=cast.question,
    )


def _more_of_everything(cast, n: int) -> None:
    """More requests, comments, companies and customers than the first measure saw."""
    for c in range(n):
        company = Organization.objects.create(name=f"Firma {c}")
        for p in range(3):
            User.objects.create_user(
                f"client{c}.{p}@firma{c}.test", "parola123", organization=company, language="en"
            )
    for t in range(n):
        ticket = _create(cast, f"Alta cerere {t}")
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body=f"Detalii {t}")


def test_creating_a_request_runs_a_fixed_number_of_statements(cast):
    _create(cast, "Prima")  # what a process does once (calendars, translations) is done
    few = _count(lambda: _create(cast, "A doua"))
    _more_of_everything(cast, 8)
    many = _count(lambda: _create(cast, "A douazecea"))

    assert many == few
    assert many <= CREATE_AT_MOST[connection.vendor]


def test_taking_in_an_email_runs_a_fixed_number_of_statements(cast):
    deliver(mail(subject="Prima"))
    first = Ticket.objects.get(summary="Prima")
    answer = f"Re: [{first.reference}] Prima"
    deliver(mail(subject=answer, body="Tot nu merge."))
    new_few = _count(lambda: deliver(mail(subject="A doua")))
    answer_few = _count(lambda: deliver(mail(subject=answer, body="Inca nu merge.")))
    _more_of_everything(cast, 8)
    new_many = _count(lambda: deliver(mail(subject="A treia")))
    answer_many = _count(lambda: deliver(mail(subject=answer, body="Tot asa.")))

    assert (new_many, answer_many) == (new_few, answer_few)
    assert new_many <= NEW_REQUEST_MAIL_AT_MOST[connection.vendor]
    assert answer_many <= ANSWER_MAIL_AT_MOST[connection.vendor]
    assert Ticket.objects.filter(summary__in=["A doua", "A treia"]).count() == 2
    assert first.comments.filter(is_public=True).count() == 3


def _document(ticket: Ticket) -> tuple[str, str]:
    row = SearchDocument.objects.get(ticket=ticket)
    return row.public_text, row.internal_text


def test_the_search_document_written_on_the_way_is_the_one_read_back(cast):
    ticket = deliver(mail(subject="Imprimanta", body="Imprimanta nu tipareste.")).ticket
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Și nici nu scanează.")
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Verificăm driverul.", is_public=False
    )
    written = _document(ticket)

    ticket_index_update(ticket.pk)  # the document rebuilt from the rows

    assert written == _document(ticket)
    assert "scaneaza" in written[0] and "driverul" in written[1]


def test_a_working_hours_edit_is_seen_by_the_next_request(cast):
    def first_response_deadline() -> dt.datetime | None:
        ticket = cast.ticket(now=MONDAY_9)
        return Clock.objects.get(ticket=ticket, goal=Goal.FIRST_RESPONSE).deadline_at

    assert first_response_deadline() == bucharest("Mon 2026-01-12 09:30")
    monday = WorkingPeriod.objects.get(calendar__is_default=True, weekday=0)
    monday.start_time = dt.time(10)
    monday.save()  # the calendar built before this edit is not used again

    assert first_response_deadline() == bucharest("Mon 2026-01-12 10:30")
