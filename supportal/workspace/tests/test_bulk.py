"""Bulk actions on a selection: assign, status through the workflow, priority."""

from __future__ import annotations

from django.urls import reverse

from supportal.tickets import services
from supportal.tickets.workflow import Action, Status

URL = reverse("workspace:bulk")


def _messages(client, response) -> str:
    return client.get(response.url).content.decode()


def test_take_on_a_selection_reports_each_refusal(client, cast):
    new = cast.ticket()
    taken = cast.ticket()
    services.ticket_transition(ticket=taken, actor=cast.lead_help, action=Action.TAKE)
    client.force_login(cast.agent_help)

    response = client.post(
        URL,
        {"operation": "transition", "action": "take", "ticket": [new.pk, taken.pk]},
    )

    new.refresh_from_db()
    taken.refresh_from_db()
    assert (new.status, new.assignee) == (Status.IN_PROGRESS, cast.agent_help)
    assert taken.assignee == cast.lead_help
    page = _messages(client, response)
    assert f"1 request changed: {new.reference}." in page
    assert f'<li class="error">{taken.reference}: ' in page  # the refusal, per ticket


def test_bulk_resolve_needs_the_resolution_for_each(client, cast):
    first, second = cast.ticket(), cast.ticket()
    client.force_login(cast.agent_help)
    client.post(
        URL, {"operation": "transition", "action": "resolve", "ticket": [first.pk, second.pk]}
    )
    first.refresh_from_db()
    assert first.status == Status.WAITING_FOR_SUPPORT
    client.post(
        URL,
        {
            "operation": "transition",
            "action": "resolve",
            "resolution": "Fixed in 2.3",
            "ticket": [first.pk, second.pk],
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.RESOLVED
    assert second.resolution == "Fixed in 2.3"


def test_agent_assigns_a_selection_to_themself_but_not_to_others(client, cast):
    tickets = [cast.ticket(), cast.ticket()]
    client.force_login(cast.agent_help)
    response = client.post(
        URL,
        {"operation": "assign", "assignee": cast.lead_help.pk, "ticket": [t.pk for t in tickets]},
    )
    assert "Only a team lead can assign" in _messages(client, response)
    client.post(URL, {"operation": "assign", "assignee": "me", "ticket": [t.pk for t in tickets]})
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.assignee == cast.agent_help


def test_team_lead_assigns_a_selection_to_an_agent(client, cast):
    tickets = [cast.ticket(), cast.ticket()]
    client.force_login(cast.lead_help)
    client.post(
        URL,
        {"operation": "assign", "assignee": cast.agent_help.pk, "ticket": [t.pk for t in tickets]},
    )
    assert {t.assignee for t in tickets if not t.refresh_from_db()} == {cast.agent_help}


def test_priority_of_a_selection_changes_and_closed_ones_are_refused(client, cast):
    open_ticket = cast.ticket()
    closed = cast.ticket()
    services.ticket_transition(ticket=closed, actor=cast.agent_help, action=Action.CANCEL)
    client.force_login(cast.agent_help)
    response = client.post(
        URL,
        {"operation": "priority", "priority": cast.high.pk, "ticket": [open_ticket.pk, closed.pk]},
    )
    open_ticket.refresh_from_db()
    closed.refresh_from_db()
    assert open_ticket.priority == cast.high
    assert closed.priority is None
    assert f"{closed.reference}: A closed or cancelled request cannot be changed." in _messages(
        client, response
    )


def test_bulk_goes_back_to_the_same_queue_page(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.post(
        URL,
        {
            "operation": "priority",
            "priority": cast.high.pk,
            "ticket": [ticket.pk],
            "next": "/agent/?view=mine&page=2",
        },
    )
    assert response.url == "/agent/?view=mine&page=2"
    response = client.post(
        URL,
        {
            "operation": "priority",
            "priority": cast.high.pk,
            "ticket": [ticket.pk],
            "next": "//evil",
        },
    )
    assert response.url == reverse("workspace:queue")
