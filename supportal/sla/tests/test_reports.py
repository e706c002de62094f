"""The SLA report for team leads: goals met, working-time percentiles, breaches; page and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from supportal.core.errors import PermissionRefused
from supportal.sla.reports import ReportFilters, percentile, sla_report
from supportal.sla.sweeper import sla_sweep_due
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.workflow import Action

MIN = dt.timedelta(minutes=1)
MONDAY = dt.date(2026, 1, 12)


@pytest.mark.parametrize(
    ("minutes", "rank", "expected"),
    [
        ([], 50, None),
        ([10], 90, 10),
        ([10, 60], 50, 10),
        ([10, 60], 90, 60),
        ([5, 1, 4, 2, 3], 50, 3),
        (list(range(1, 11)), 90, 9),
    ],
)
def test_percentiles_are_nearest_rank(minutes, rank, expected):
    result = percentile([m * MIN for m in minutes], rank)
    assert result == (None if expected is None else expected * MIN)


@pytest.fixture
def monday(cast, default_policy):
    """Three requests of Monday 12 January 2026 on the help desk."""
    agent = cast.agent_help

    def act(ticket, action, moment, **fields):
        services.ticket_transition(
            ticket=ticket, actor=agent, action=action, now=bucharest(moment), **fields
        )

    quick = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"), summary="Quick")
    slow = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"), summary="Slow")
    forgotten = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"), summary="Forgotten")
    act(quick, Action.TAKE, "Mon 2026-01-12 09:10")
    sla_sweep_due(bucharest("Mon 2026-01-12 09:45"))  # first responses of slow and forgotten
    act(slow, Action.TAKE, "Mon 2026-01-12 10:00")
    act(quick, Action.RESOLVE, "Mon 2026-01-12 10:00", resolution="Gata.")
    sla_sweep_due(bucharest("Mon 2026-01-12 11:30"))  # resolutions of slow and forgotten
    act(slow, Action.RESOLVE, "Mon 2026-01-12 12:00", resolution="Gata, târziu.")
    return quick, slow, forgotten


def test_the_report_counts_goals_met_and_their_working_time(cast, monday):
    report = sla_report(cast.lead_help, ReportFilters(start=MONDAY, end=MONDAY))

    [help_desk] = report.rows
    assert (help_desk.label, help_desk.goals, help_desk.met, help_desk.breached) == (
        "Helpdesk",
        6,
        2,
        4,
    )
    assert help_desk.met_percent == 33
    assert (help_desk.first_response_median, help_desk.first_response_p90) == (10 * MIN, 60 * MIN)
    assert (help_desk.resolution_median, help_desk.resolution_p90) == (60 * MIN, 180 * MIN)
    _quick, slow, forgotten = monday
    assert [(line.reference, line.goal, line.cause) for line in report.breaches] == [
        (
            slow.reference,
            "Time to first response",
            "nobody took the request in time (Waiting for support, unassigned)",
        ),
        (
            forgotten.reference,
            "Time to first response",
            "nobody took the request in time (Waiting for support, unassigned)",
        ),
        (slow.reference, "Time to resolution", "In progress, with Bogdan Moraru"),
        (forgotten.reference, "Time to resolution", "Waiting for support, unassigned"),
    ]


def test_the_report_groups_by_agent_and_filters_by_company(cast, monday):
    by_agent = sla_report(cast.lead_help, ReportFilters(start=MONDAY, end=MONDAY, group_by="agent"))
    assert [(row.label, row.goals, row.met) for row in by_agent.rows] == [
        ("Bogdan Moraru", 4, 2),
        ("Unassigned", 2, 0),
    ]
    elsewhere = sla_report(
        cast.lead_help,
        ReportFilters(start=MONDAY, end=MONDAY, organization_id=cast.other_sa.pk),
    )
    assert (elsewhere.rows, elsewhere.total.goals, elsewhere.breaches) == ([], 0, [])


def test_another_period_shows_nothing(cast, monday):
    report = sla_report(
        cast.lead_help,
        ReportFilters(start=MONDAY + dt.timedelta(days=1), end=MONDAY + dt.timedelta(days=7)),
    )
    assert report.total.goals == 0


def test_only_team_leads_and_administrators_see_reports(client, cast, monday):
    with pytest.raises(PermissionRefused):
        sla_report(cast.agent_help, ReportFilters(start=MONDAY, end=MONDAY))
    assert sla_report(cast.admin, ReportFilters(start=MONDAY, end=MONDAY)).total.goals == 6
    url = reverse("workspace:sla_report")
    client.force_login(cast.agent_help)
    assert client.get(url).status_code == 403
    client.force_login(cast.cristina)
    assert client.get(url).status_code == 403  # the support-team page, as the workspace does


def test_the_report_page_and_its_csv(client, cast, monday):
    client.force_login(cast.lead_help)
    params = {"start": "2026-01-12", "end": "2026-01-12", "group_by": "desk"}

    page = client.get(reverse("workspace:sla_report"), params).content.decode()
    assert "SLA report" in page
    assert "<svg" in page and 'width="33"' in page
    assert monday[2].reference in page

    response = client.get(reverse("workspace:sla_report"), {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["Helpdesk", "6", "2", "4", "33", "10", "60", "60", "180"]
    assert rows[2][0] == "All"

    breaches = client.get(
        reverse("workspace:sla_report"), {**params, "format": "csv", "part": "breaches"}
    )
    lines = list(csv.reader(io.StringIO(breaches.content.decode())))
    assert len(lines) == 5
    assert lines[1][:3] == [monday[1].reference, "Time to first response", "2026-01-12T09:30+02:00"]
