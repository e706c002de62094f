"""The portal's rough edges found by using it for a day (issue "the daily screens", section 6)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape as html_unescape

from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import Contract
from supportal.mail.models import OutboundEmail
from supportal.notifications.services import notifications_send_due
from supportal.tickets import services
from supportal.tickets.models import QuoteState
from supportal.tickets.workflow import Action, Status


def test_priorities_are_narrowed_to_what_the_contract_allows_per_product(client, cast):
    other = cast.product.__class__.objects.create(name="Tecnet Mobile")
    cast.help_desk.products.add(other)
    contract = Contract.objects.create(
        organization=cast.cristina_srl, product=cast.product, name="Web support"
    )
    contract.priorities.add(cast.normal)
    client.force_login(cast.cristina)

    html = client.get(reverse("portal:new"), {"desk": "HELP"}).content.decode()

    found = re.search(r'data-allowed-by-product="([^"]+)"', html)
    assert found is not None
    allowed = json.loads(html_unescape(found.group(1)))
    assert allowed[str(cast.product.pk)] == [cast.normal.pk]
    # Without a contract for it, another product (or none) is not restricted.
    assert sorted(allowed[str(other.pk)]) == sorted([cast.normal.pk, cast.high.pk])


def test_an_accepted_quote_stays_on_the_request_page_with_its_state(client, cast):
    ticket = cast.ticket()
    quote = services.quote_propose(
        ticket=ticket, actor=cast.agent_help, price=Decimal("250.00"), currency="RON"
    )
    services.quote_answer(quote=quote, actor=cast.cristina, is_accepted=True)
    quote.refresh_from_db()
    assert quote.state == QuoteState.ACCEPTED
    client.force_login(cast.cristina)
    html = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert 'id="quote"' in html
    assert "250" in html and "Accepted" in html
    assert "Accept the quote" not in html


def test_cancel_asks_for_confirmation_first(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    url = reverse("portal:action", args=[ticket.reference, "cancel"])

    response = client.post(url)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert response["Location"].endswith("?cancel=1")
    page = client.get(response["Location"]).content.decode()
    assert "Confirm that you want to cancel the request." in page
    assert "Yes, cancel the request" in page

    client.post(url, {"confirm": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED


def test_an_empty_log_in_form_says_what_is_missing(client, cast):
    html = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert "Enter your e-mail address." in html
    assert "Enter your password." in html
    assert 'aria-invalid="true"' in html


def test_pages_carry_our_own_favicon(client, cast):
    html = client.get(reverse("login")).content.decode()
    assert 'rel="icon" href="/static/supportal/favicon.svg"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/supportal/favicon.svg"


def test_a_customers_receipt_for_her_own_request_comes_from_the_support_team(cast, settings):
    settings.DEFAULT_FROM_EMAIL = "Tecnet Support <support@help.example.com>"
    cast.ticket()
    while notifications_send_due(timezone.now()):
        pass
    receipt = OutboundEmail.objects.get(template="ticket_created", to=[cast.cristina.email])
    assert "Tănăsescu" not in receipt.from_email
    assert receipt.from_email.startswith("Tecnet Support")


def test_an_agents_reply_still_comes_under_the_agents_name(cast, settings):
    settings.DEFAULT_FROM_EMAIL = "Tecnet Support <support@help.example.com>"
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    while notifications_send_due(timezone.now()):
        pass
    mail = OutboundEmail.objects.filter(to=[cast.cristina.email]).order_by("pk").last()
    assert mail.from_email.startswith("Bogdan Moraru")
