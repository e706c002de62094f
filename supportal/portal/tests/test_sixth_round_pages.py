"""What the sixth performance round no longer reads on the request page (docs/performance.md,
"Sixth round"): the people the timeline names when the page has them already, the quotes of a
request that never had one. What the page shows stays the same."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.tickets import services


def page_statements(client, url: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _people_read(statements: list[str]) -> list[str]:
    """Statements reading people by their ids (the timeline's ``in_bulk``)."""
    return [sql for sql in statements if 'WHERE "accounts_user"."id" IN (' in sql]


def _quotes_read(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith('SELECT "tickets_quote"."id"')]


def test_the_timeline_names_the_request_s_people_without_reading_them_again(client, cast):
    ticket = cast.ticket()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    client.force_login(cast.cristina)
    url = reverse("portal:request", args=[ticket.reference])
    client.get(url)

    page, statements = page_statements(client, url)

    assert f"{cast.agent_help} is handling the request." in page
    assert f"Shared with {cast.colleague}" in page
    assert not _people_read(statements)

    # Someone no longer on the request is still named: read, once.
    services.participant_remove(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    page, statements = page_statements(client, url)
    assert f"No longer shared with {cast.colleague}" in page
    assert len(_people_read(statements)) == 1


def test_quotes_are_read_only_for_a_request_that_had_one(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    url = reverse("portal:request", args=[ticket.reference])

    page, statements = page_statements(client, url)
    assert "Quote for this work" not in page
    assert not _quotes_read(statements)

    services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("120.50"))
    page, statements = page_statements(client, url)
    assert "Quote for this work" in page
    assert "120.50 RON" in page
    assert len(_quotes_read(statements)) == 1
