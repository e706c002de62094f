"""The printable record (supportal/tickets/record.py): one builder and one template for the
customer's record and the agent's export; what each reader may see, oldest first, in a fixed
number of queries."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.tickets import services

pytestmark = pytest.mark.django_db


def _file(name: str) -> services.NewAttachment:
    return services.NewAttachment(
        file=SimpleUploadedFile(name, b"%PDF-1.4 test", "application/pdf")
    )


def _story(cast):
    ticket = cast.ticket(details="Imprimanta nu tipărește facturile")
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Am repornit serviciul de tipărire."
    )
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Driverul vechi era cauza",
        is_public=False,
        attachments=[_file("diagnostic-intern.pdf")],
    )
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.cristina,
        body="Merge acum, mulțumesc!",
        attachments=[_file("factura.pdf")],
    )
    return ticket


def test_the_customer_record_holds_the_public_story_oldest_first_and_nothing_internal(client, cast):
    ticket = _story(cast)
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:record", args=[ticket.reference])).content.decode()
    assert "Imprimanta nu tipărește facturile" in page
    assert page.index("Am repornit serviciul") < page.index("Merge acum, mulțumesc!")
    assert "factura.pdf" in page
    assert "Driverul vechi" not in page and "diagnostic-intern.pdf" not in page
    assert "Includes internal notes" not in page
    assert reverse("portal:request", args=[ticket.reference]) in page


def test_the_agent_export_is_the_same_record_with_internal_notes_and_files_marked(client, cast):
    ticket = _story(cast)
    client.force_login(cast.agent_help)
    response = client.get(reverse("workspace:export", args=[ticket.reference]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "supportal/record.css" in page and "Print or save as PDF" in page
    assert "Includes internal notes: for the support team only." in page
    assert page.index("Am repornit serviciul") < page.index("Driverul vechi era cauza")
    assert page.index("Driverul vechi era cauza") < page.index("Merge acum, mulțumesc!")
    assert "Internal note" in page and "diagnostic-intern.pdf" in page
    assert reverse("workspace:ticket", args=[ticket.reference]) in page


@pytest.mark.parametrize("audience", ["customer", "agent"])
def test_a_record_costs_the_same_queries_however_long_the_request(client, cast, audience):
    ticket = _story(cast)
    if audience == "customer":
        client.force_login(cast.cristina)
        url = reverse("portal:record", args=[ticket.reference])
    else:
        client.force_login(cast.agent_help)
        url = reverse("workspace:export", args=[ticket.reference])
    client.get(url)  # warm the per-process caches (calendars, names)
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for number in range(8):
        services.ticket_comment_add(
            ticket=ticket,
            author=cast.agent_help if number % 2 else cast.cristina,
            body=f"Mesajul {number}",
            attachments=[_file(f"anexa-{number}.pdf")],
        )
    with CaptureQueriesContext(connection) as long:
        response = client.get(url)
    assert "Mesajul 7" in response.content.decode()
    assert len(long.captured_queries) == len(short.captured_queries)
