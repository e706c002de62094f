"""The request page's statements after the seventh performance round (docs/performance.md,
"Seventh round"): the navigation's count of requests awaiting the customer's reply comes with
the request's own statement; what the page shows stays the same."""

from __future__ import annotations

from django.urls import reverse

from supportal.portal.tests.test_sixth_round_pages import page_statements
from supportal.tickets import services
from supportal.tickets.workflow import Action


def _counts(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT COUNT(")]


def test_the_awaiting_count_comes_with_the_request(client, cast):
    ticket = cast.ticket()
    waiting = cast.ticket()
    services.ticket_transition(
        ticket=waiting, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which one?"
    )
    shared = cast.ticket(requester=cast.colleague)
    services.participant_add(ticket=shared, actor=cast.colleague, person=cast.cristina)
    services.ticket_transition(
        ticket=shared, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="And you?"
    )
    client.force_login(cast.cristina)
    url = reverse("portal:request", args=[ticket.reference])

    page, statements = page_statements(client, url)

    assert 'id="awaiting-count">2</span>' in page
    assert not _counts(statements)
    # The awaiting list says the same.
    assert 'id="awaiting-count">2</span>' in client.get(reverse("portal:awaiting")).content.decode()


def test_the_request_page_is_read_alike_for_each_customer(client, cast):
    """The statement is compiled once per process: each customer still sees only what they
    may, and their own count."""
    own = cast.ticket()
    other = cast.ticket(requester=cast.other_customer)
    services.ticket_transition(
        ticket=other, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="?"
    )
    client.force_login(cast.cristina)
    assert client.get(reverse("portal:request", args=[own.reference])).status_code == 200
    assert client.get(reverse("portal:request", args=[other.reference])).status_code == 404

    client.force_login(cast.other_customer)
    page, _ = page_statements(client, reverse("portal:request", args=[other.reference]))
    assert 'id="awaiting-count">1</span>' in page
    assert client.get(reverse("portal:request", args=[own.reference])).status_code == 404
