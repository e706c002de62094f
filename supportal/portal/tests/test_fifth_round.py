"""What the fifth performance round keeps or no longer reads (docs/performance.md, "Fifth
round"): the desks' choices kept per process are seen to change, never shared between people,
and a new request's submission leaves the session alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import OrganizationProduct
from supportal.desks.models import Desk, Product, RequestType
from supportal.tickets.models import Ticket
from supportal.tickets.services import feedback_give, ticket_mute_set, ticket_transition
from supportal.tickets.workflow import Action


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _new_url(desk: Desk) -> str:
    return f"{reverse('portal:new')}?desk={desk.key}"


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_new_request_and_its_page_leave_the_session_alone(client, cast):
    client.force_login(cast.cristina)
    client.get(_new_url(cast.help_desk))
    form = {
        "product": cast.product.pk,
        "request_type": cast.question.pk,
        "summary": "Parola blocată",
        "details": "Rog deblocare",
        "contact_email": "",
    }
    with CaptureQueriesContext(connection) as posted:
        response = client.post(_new_url(cast.help_desk), form)
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as shown:
        page = client.get(response.url).content.decode()
    reference = Ticket.objects.get().reference
    # The message travels in a signed cookie, and is shown once.
    assert f"Your request {reference} was registered." in page
    assert _session_writes(posted) == []
    assert _session_writes(shown) == []
    assert "was registered" not in client.get(response.url).content.decode()


def test_a_request_type_added_in_the_administration_is_offered_at_once(client, cast):
    client.force_login(cast.cristina)
    assert "Installation" not in client.get(_new_url(cast.help_desk)).content.decode()
    RequestType.objects.create(desk=cast.help_desk, name="Installation")
    assert "Installation" in client.get(_new_url(cast.help_desk)).content.decode()


def test_a_change_made_by_another_process_is_seen_from_the_desks_version(client, cast):
    client.force_login(cast.agent_help)
    ticket = cast.ticket()
    url = reverse("workspace:ticket", args=[ticket.reference])
    assert ">Question<" in client.get(url).content.decode()
    # Another process renames the type and moves the desks' version (as its signal does);
    # this process kept the old name and is told of the change by the desk row alone.
    RequestType.objects.filter(pk=cast.question.pk).update(name="Inquiry")
    Desk.objects.update(updated_at=timezone.now() + dt.timedelta(seconds=1))
    page = client.get(url).content.decode()
    assert ">Inquiry<" in page and ">Question<" not in page


def test_kept_products_are_narrowed_per_company_never_shared(client, cast):
    other = Product.objects.create(name="Tecnet POS")
    cast.help_desk.products.add(other)
    OrganizationProduct.objects.create(organization=cast.other_sa, product=other)
    client.force_login(cast.cristina)
    cristina_page = client.get(_new_url(cast.help_desk)).content.decode()
    client.force_login(cast.other_customer)
    petr_page = client.get(_new_url(cast.help_desk)).content.decode()
    # Cristina's company lists no product: every product of the desk is hers.
    assert "Tecnet Web" in cristina_page and "Tecnet POS" in cristina_page
    assert "Tecnet POS" in petr_page and ">Tecnet Web<" not in petr_page
    refused = client.post(
        _new_url(cast.help_desk),
        {"product": cast.product.pk, "request_type": cast.question.pk, "summary": "x"},
    )
    assert refused.status_code == 400
    assert not Ticket.objects.exists()


def test_request_page_shows_feedback_and_mute_from_the_requests_own_statement(client, cast):
    ticket = cast.ticket()
    ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Deblocată."
    )
    feedback_give(ticket=ticket, actor=cast.cristina, rating=4, message="Mulțumesc")
    ticket_mute_set(ticket=ticket, user=cast.cristina, is_muted=True)
    client.force_login(cast.cristina)
    url = reverse("portal:request", args=[ticket.reference])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert "4 out of 5" in page and "Mulțumesc" in page
    assert "Notify me again" in page
    # Neither has a statement of its own any more (the request's joins and annotates them).
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if s.startswith('SELECT "tickets_feedback"')]
    assert not [s for s in sql if s.startswith('SELECT 1 AS "a" FROM "tickets_notificationmute"')]
