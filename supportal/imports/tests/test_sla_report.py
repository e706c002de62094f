"""The SLA report of imported requests, computed by hand for three of them: the clocks are
rebuilt from the imported history on the desk's working hours (docs/import.md, "SLA")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from supportal.imports.records import Comment, Person, Request, StatusChange
from supportal.imports.writer import ImportWriter
from supportal.sla.models import Calendar, Policy, WorkingPeriod
from supportal.sla.reports import ReportFilters, sla_report
from supportal.tickets.workflow import Status

MIN = dt.timedelta(minutes=1)
BUCHAREST = ZoneInfo("Europe/Bucharest")
STATUSES = {
    "open": Status.WAITING_FOR_SUPPORT,
    "working": Status.IN_PROGRESS,
    "waiting": Status.WAITING_FOR_CUSTOMER,
    "resolved": Status.RESOLVED,
}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """January 2026 in Bucharest: the 12th and 19th are Mondays, the 16th a Friday."""
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=BUCHAREST)


def _request(n: int, created: dt.datetime, *, comments=(), changes=()) -> Request:
    return Request(
        source_id=str(n),
        key="HELP",
        number=n,
        summary=f"Cererea {n}",
        details="Facturile nu ajung la distribuitor.",
        requester_id="c",
        assignee_id="a",
        created_at=created,
        updated_at=max([created, *(c.at for c in changes)]),
        status=changes[-1].status if changes else "open",
        comments=tuple(comments),
        status_changes=tuple(changes),
    )


@pytest.fixture
def office_policy(db):
    calendar, created = Calendar.objects.get_or_create(
        name="Working hours, Romania",
        defaults={"time_zone": "Europe/Bucharest", "country_code": "RO", "is_default": True},
    )
    if created:
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=calendar, weekday=d, start_time=dt.time(8), end_time=dt.time(17))
            for d in range(5)
        )
    return Policy.objects.create(
        name="Import",
        calendar=calendar,
        first_response_duration=dt.timedelta(minutes=30),
        resolution_duration=dt.timedelta(hours=2),
    )


@pytest.mark.django_db
def test_the_sla_report_of_three_imported_requests_matches_the_hand_computed_figures(
    cast, office_policy
):
    records = [
        Person(source_id="c", email="mihai.popescu@transilvania.ro", name="Mihai Popescu"),
        Person(
            source_id="a", email="ioana.marin@suport-firma.ro", name="Ioana Marin", is_agent=True
        ),
        # 201, Monday 09:00. The assignee answers at 09:10 (first response: 10 min, met) and
        # resolves at 10:00 (resolution: 60 min, met).
        _request(
            201,
            at(12, 9),
            comments=[Comment("201c", "a", "Verificăm conexiunea EDI.", True, at(12, 9, 10))],
            changes=[StatusChange("201r", "resolved", at(12, 10), "a")],
        ),
        # 202, Monday 16:30. The agent asks the customer on Tuesday 08:20: first response after
        # 30 (Mon 16:30–17:00) + 20 (Tue 08:00–08:20) = 50 working minutes, due Monday 17:00:
        # breached. Resolution paused while waiting for the customer (08:20–13:00), resolved
        # 14:00: 30 + 20 + 60 = 110 minutes of 120, met.
        _request(
            202,
            at(12, 16, 30),
            changes=[
                StatusChange("202w", "waiting", at(13, 8, 20), "a"),
                StatusChange("202o", "open", at(13, 13), "c"),
                StatusChange("202r", "resolved", at(13, 14), "a"),
            ],
        ),
        # 203, Friday 16:00. Taken at 16:20 (20 min, met); resolved Monday 10:00 after
        # 60 (Fri 16:00–17:00) + 120 (Mon 08:00–10:00) = 180 working minutes, due Monday 09:00:
        # breached (met late).
        _request(
            203,
            at(16, 16),
            changes=[
                StatusChange("203w", "working", at(16, 16, 20), "a"),
                StatusChange("203r", "resolved", at(19, 10), "a"),
            ],
        ),
    ]
    ImportWriter(source="test", desk=cast.help_desk, statuses=STATUSES).write_all(records)

    report = sla_report(
        cast.lead_help, ReportFilters(start=dt.date(2026, 1, 12), end=dt.date(2026, 1, 19))
    )
    [row] = report.rows
    # Six goals: four met in time, 202's first response and 203's resolution breached.
    assert (row.goals, row.met, row.breached, row.met_percent) == (6, 4, 2, 67)
    # Working times of the goals reached (late ones too), nearest-rank percentiles:
    # first responses 10, 20, 50; resolutions 60, 110, 180.
    assert (row.first_response_median, row.first_response_p90) == (20 * MIN, 50 * MIN)
    assert (row.resolution_median, row.resolution_p90) == (110 * MIN, 180 * MIN)
    assert [(line.reference, line.goal, line.due_at) for line in report.breaches] == [
        ("HELP-202", "Time to first response", at(12, 17)),
        ("HELP-203", "Time to resolution", at(19, 9)),
    ]
