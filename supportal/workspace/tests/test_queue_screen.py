"""The dense queue: the SLA column, requester names, counts on every tab, the remembered queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportal.sla.models import Calendar, Clock, ClockState, Goal, Policy
from supportal.tickets import services
from supportal.tickets.workflow import Action
from supportal.workspace.views.queue import LAST_QUEUE_COOKIE


@pytest.fixture
def sla_policy(db) -> Policy:
    calendar, _created = Calendar.objects.get_or_create(
        name="24/7", defaults={"time_zone": "Europe/Bucharest", "is_always_open": True}
    )
    return Policy.objects.create(
        name="Always",
        calendar=calendar,
        first_response_duration=dt.timedelta(hours=1),
        resolution_duration=dt.timedelta(hours=8),
    )


def _sla_cells(response) -> dict[str, object]:
    return {t.reference: t.sla for t in response.context["tickets"]}


def _set_clock(ticket, *, deadline_at, warn_at) -> None:
    Clock.objects.filter(ticket=ticket, goal=Goal.FIRST_RESPONSE).update(
        deadline_at=deadline_at, warn_at=warn_at
    )
    Clock.objects.filter(ticket=ticket, goal=Goal.RESOLUTION).update(
        deadline_at=deadline_at + dt.timedelta(days=2), warn_at=deadline_at
    )


def test_sla_column_shows_time_left_or_overdue_coloured_by_state(client, cast, sla_policy):
    now = timezone.now()
    on_track = cast.ticket(summary="on track")
    _set_clock(
        on_track,
        deadline_at=now + dt.timedelta(hours=3, minutes=10),
        warn_at=now + dt.timedelta(hours=2),
    )
    warning = cast.ticket(summary="warning")
    _set_clock(
        warning, deadline_at=now + dt.timedelta(minutes=20), warn_at=now - dt.timedelta(minutes=5)
    )
    breached = cast.ticket(summary="breached")
    _set_clock(
        breached,
        deadline_at=now - dt.timedelta(hours=2, minutes=1),
        warn_at=now - dt.timedelta(hours=3),
    )
    paused = cast.ticket(summary="paused")
    services.ticket_transition(ticket=paused, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=paused, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    assert Clock.objects.filter(ticket=paused, state=ClockState.PAUSED).exists()
    no_policy = cast.ticket(summary="no goals")
    Clock.objects.filter(ticket=no_policy).delete()
    client.force_login(cast.agent_help)

    response = client.get("/agent/", {"view": "open"})

    cells = _sla_cells(response)
    assert cells[on_track.reference].state == "on_track"
    assert cells[on_track.reference].text == "3 h 9 min left"
    assert cells[warning.reference].state == "warning"
    assert cells[breached.reference].state == "breached"
    assert cells[breached.reference].text == "2 h 1 min overdue"
    assert cells[paused.reference].state == "paused"
    assert cells[no_policy.reference] is None
    html = response.content.decode()
    assert 'class="sla sla-breached"' in html
    assert "2 h 1 min overdue" in html
    # The counts reach "SLA at risk" too: the warning and the breached request.
    assert response.context["counts"]["at_risk"] == 2
    assert 'data-count="at_risk">2<' in html


def test_queue_shows_requester_name_with_company_and_summary_in_full_on_hover(client, cast):
    cast.ticket(summary="A very long summary " * 5)
    client.force_login(cast.agent_help)
    html = client.get("/agent/").content.decode()
    assert 'Cristina Tănăsescu <span class="muted">· Cristina SRL</span>' in html
    assert f'title="{("A very long summary " * 5).strip()}"' in html


def test_sla_column_costs_no_query_per_row(client, cast, sla_policy, django_assert_max_num_queries):
    cast.ticket()
    client.force_login(cast.agent_help)
    with django_assert_max_num_queries(30) as few:
        client.get("/agent/", {"view": "open", "sort": "deadline"})
    for _ in range(12):
        cast.ticket()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agent/", {"view": "open", "sort": "deadline"})
    assert len(response.context["tickets"]) == 13
    assert all(t.sla is not None for t in response.context["tickets"])


def test_sla_column_reads_each_rows_clocks_not_every_paused_clock(
    client, cast, sla_policy, django_assert_max_num_queries
):
    """The SLA cell's subqueries are scalar (``LIMIT 1`` per row, through the clocks' ticket
    index): an ``EXISTS`` in the select list was hashed by PostgreSQL over every paused clock
    of the table on every queue page (docs/performance.md)."""
    paused = cast.ticket(summary="paused")
    services.ticket_transition(ticket=paused, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=paused, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    client.force_login(cast.agent_help)
    with django_assert_max_num_queries(30) as queries:
        response = client.get("/agent/", {"view": "all"})
    assert _sla_cells(response)[paused.reference].state == "paused"
    (listing,) = [q["sql"] for q in queries.captured_queries if "sla_paused_clock_id" in q["sql"]]
    select_list = listing.split(' FROM "tickets_ticket"')[0]
    assert "EXISTS" not in select_list.upper()
    assert select_list.count("LIMIT 1") == 3


def test_queue_opens_on_the_agents_last_queue_and_sort(client, cast):
    mine = cast.ticket(summary="mine")
    services.ticket_transition(ticket=mine, actor=cast.agent_help, action=Action.TAKE)
    cast.ticket(summary="someone else's")
    client.force_login(cast.agent_help)

    client.get("/agent/", {"view": "mine", "sort": "age"})
    again = client.get("/agent/")

    assert again.context["view"] == "mine"
    assert again.context["sort"] == "age"
    assert [t.reference for t in again.context["tickets"]] == [mine.reference]
    # A search from the toolbar keeps the remembered queue.
    client.get("/agent/", {"q": "mine"})
    assert client.get("/agent/").context["view"] == "mine"
    # Another queue is remembered in its place; nonsense in the cookie is ignored.
    client.get("/agent/", {"view": "unassigned"})
    assert client.get("/agent/").context["view"] == "unassigned"
    client.cookies[LAST_QUEUE_COOKIE] = "view=nope&sort=<script>"
    response = client.get("/agent/")
    assert response.status_code == 200
    assert response.context["view"] == "open"
