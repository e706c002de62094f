"""The requests list: filters, sorting, pages, and the "Awaiting your reply" tab."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import OrganizationProduct
from supportal.desks.models import Product
from supportal.tickets import services
from supportal.tickets.workflow import Action


def _refs(response) -> list[str]:
    return [ticket.reference for ticket in response.context["tickets"]]


def test_list_shows_the_columns(client, cast):
    ticket = cast.ticket(request_type=cast.question)
    client.force_login(cast.cristina)
    page = client.get("/").content.decode()
    for text in (
        ticket.reference,
        "Parola blocată",
        "Helpdesk",
        "Waiting for support",
        "Cristina Tănăsescu",
        "Question",
        "Last update",
    ):
        assert text in page


def test_open_closed_and_any_status(client, cast):
    open_ticket = cast.ticket()
    closed = cast.ticket()
    services.ticket_transition(ticket=closed, actor=cast.cristina, action=Action.CANCEL)
    client.force_login(cast.cristina)
    assert _refs(client.get("/")) == [open_ticket.reference]
    assert _refs(client.get("/", {"status": "closed"})) == [closed.reference]
    assert set(_refs(client.get("/", {"status": "any"}))) == {
        open_ticket.reference,
        closed.reference,
    }
    assert _refs(client.get("/", {"status": "nonsense"})) == [open_ticket.reference]


def test_mine_shared_and_company_where_the_company_shares_the_product(client, cast):
    shared_product = Product.objects.create(name="Tecnet ERP")
    cast.help_desk.products.add(shared_product)
    OrganizationProduct.objects.create(
        organization=cast.cristina_srl, product=shared_product, shares_requests=True
    )
    mine = cast.ticket()
    colleagues_shared = cast.ticket(requester=cast.colleague, product=shared_product)
    colleagues_private = cast.ticket(requester=cast.colleague, product=cast.product)
    with_me = cast.ticket(requester=cast.colleague, participants=[cast.cristina])
    client.force_login(cast.cristina)
    everything = set(_refs(client.get("/")))
    assert everything == {mine.reference, colleagues_shared.reference, with_me.reference}
    assert colleagues_private.reference not in everything
    assert _refs(client.get("/", {"who": "mine"})) == [mine.reference]
    assert _refs(client.get("/", {"who": "shared"})) == [with_me.reference]
    company = set(_refs(client.get("/", {"who": "company"})))
    assert company == everything
    assert "Anyone in my company" in client.get("/").content.decode()


def test_company_choice_is_hidden_where_nothing_is_shared(client, cast):
    client.force_login(cast.cristina)
    assert "Anyone in my company" not in client.get("/").content.decode()
    client.force_login(cast.cristina_admin)
    assert "Anyone in my company" in client.get("/").content.decode()


def test_filter_by_type_and_product(client, cast):
    bug = cast.ticket(request_type=cast.bug, product=cast.product)
    question = cast.ticket(request_type=cast.question)
    client.force_login(cast.cristina)
    assert _refs(client.get("/", {"request_type": cast.bug.pk})) == [bug.reference]
    assert _refs(client.get("/", {"request_type": cast.question.pk})) == [question.reference]
    assert _refs(client.get("/", {"product": cast.product.pk})) == [bug.reference]


def test_sorting_by_columns(client, cast):
    now = timezone.now()
    first = cast.ticket(summary="Beta", now=now - dt.timedelta(hours=2))
    second = cast.ticket(summary="Alpha", now=now - dt.timedelta(hours=1))
    client.force_login(cast.cristina)
    assert _refs(client.get("/")) == [second.reference, first.reference]  # last update first
    assert _refs(client.get("/", {"sort": "summary"})) == [second.reference, first.reference]
    assert _refs(client.get("/", {"sort": "-summary"})) == [first.reference, second.reference]
    assert _refs(client.get("/", {"sort": "reference"})) == [first.reference, second.reference]
    assert _refs(client.get("/", {"sort": "drop table"})) == [second.reference, first.reference]


def test_pagination_keeps_the_filters(client, cast):
    for _ in range(27):
        cast.ticket()
    client.force_login(cast.cristina)
    response = client.get("/", {"status": "any"})
    assert len(response.context["tickets"]) == 25
    page = response.content.decode()
    assert "Page 1 of 2" in page and "status=any&amp;page=2" in page
    assert len(client.get("/", {"status": "any", "page": 2}).context["tickets"]) == 2
    assert len(client.get("/", {"page": "999"}).context["tickets"]) == 2


def test_awaiting_your_reply_lists_only_what_waits_for_me_with_its_count(client, cast):
    question = cast.ticket(summary="Question for me")
    services.ticket_transition(
        ticket=question, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    quoted = cast.ticket(summary="Needs a quote")
    services.quote_propose(ticket=quoted, actor=cast.agent_help, price=Decimal("100"))
    shared = cast.ticket(requester=cast.colleague, participants=[cast.cristina])
    services.ticket_transition(
        ticket=shared, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="And you?"
    )
    cast.ticket(summary="Waiting for support")
    client.force_login(cast.cristina)
    response = client.get(reverse("portal:awaiting"))
    assert set(_refs(response)) == {question.reference, quoted.reference, shared.reference}
    assert '<span class="count count-due" id="awaiting-count">3</span>' in response.content.decode()

    client.post(reverse("portal:comment", args=[question.reference]), {"body": "cristina.t"})
    response = client.get("/")
    assert '<span class="count count-due" id="awaiting-count">2</span>' in response.content.decode()
    assert question.reference not in _refs(client.get(reverse("portal:awaiting")))

    client.force_login(cast.colleague)  # a participant does not answer the requester's quote
    assert _refs(client.get(reverse("portal:awaiting"))) == [shared.reference]


def test_search_stays_within_the_filters(client, cast):
    wanted = cast.ticket(summary="Imprimanta blocata")
    closed = cast.ticket(summary="Imprimanta veche")
    services.ticket_transition(ticket=closed, actor=cast.cristina, action=Action.CANCEL)
    client.force_login(cast.cristina)
    assert _refs(client.get("/", {"q": "imprimanta"})) == [wanted.reference]
    assert set(_refs(client.get("/", {"q": "imprimanta", "status": "any"}))) == {
        wanted.reference,
        closed.reference,
    }


def test_list_and_awaiting_queries_do_not_grow_with_rows(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.cristina)

    def waiting_ticket():
        ticket = cast.ticket(request_type=cast.bug, product=cast.product)
        services.ticket_transition(
            ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="?"
        )

    waiting_ticket()
    for url in ("/?status=any&sort=summary", reverse("portal:awaiting")):
        with django_assert_max_num_queries(20) as few:
            client.get(url)
        baseline = len(few.captured_queries)
        for _ in range(10):
            waiting_ticket()
        with django_assert_max_num_queries(baseline):
            response = client.get(url)
        assert len(response.context["tickets"]) >= 11
