"""SLA test helpers: instants on the shipped calendars, and the default calendar and policy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from supportal.sla.models import Calendar, Policy, WorkingPeriod

BUCHAREST = ZoneInfo("Europe/Bucharest")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def bucharest(moment: str) -> dt.datetime:
    """Reads "Thu 2026-04-09 10:28" as a wall-clock time in Bucharest, checking the weekday."""
    weekday, wall = moment.split(" ", 1)
    parsed = dt.datetime.fromisoformat(wall).replace(tzinfo=BUCHAREST)
    assert WEEKDAYS[parsed.weekday()] == weekday, f"{moment} is a {WEEKDAYS[parsed.weekday()]}"
    return parsed


@pytest.fixture
def office_calendar(db) -> Calendar:
    """The default calendar the migration ships (made again if a transactional
    test flushed it)."""
    calendar, created = Calendar.objects.get_or_create(
        name="Working hours, Romania",
        defaults={"time_zone": "Europe/Bucharest", "country_code": "RO", "is_default": True},
    )
    if created:
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=calendar, weekday=d, start_time=dt.time(8), end_time=dt.time(17))
            for d in range(5)
        )
    return calendar


@pytest.fixture
def default_policy(office_calendar) -> Policy:
    """The default goals (docs/requirements.md S2): 30 minutes to first response, 2 hours to
    resolution."""
    policy, _created = Policy.objects.get_or_create(
        name="Default",
        defaults={
            "calendar": office_calendar,
            "first_response_duration": dt.timedelta(minutes=30),
            "resolution_duration": dt.timedelta(hours=2),
        },
    )
    return policy


@pytest.fixture
def always_open(db) -> Calendar:
    calendar, _created = Calendar.objects.get_or_create(
        name="24/7", defaults={"time_zone": "Europe/Bucharest", "is_always_open": True}
    )
    return calendar
