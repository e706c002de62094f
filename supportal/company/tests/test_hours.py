"""Working hours and the emergency line (docs/requirements.md C4) in the portal's footer and
help page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from supportal.company.models import SupportLine
from supportal.company.selectors import support_hours
from supportal.notifications.models import NotificationSettings
from supportal.sla.models import Calendar, WorkingPeriod

pytestmark = pytest.mark.django_db

BUCHAREST = ZoneInfo("Europe/Bucharest")


@pytest.fixture
def office(db) -> Calendar:
    """The default calendar (docs/requirements.md S3): Mon–Fri 8–17, Romanian holidays."""
    calendar = Calendar.objects.filter(is_default=True).first() or Calendar.objects.create(
        name="Program", is_default=True
    )
    calendar.time_zone, calendar.country_code, calendar.is_always_open = (
        "Europe/Bucharest",
        "RO",
        False,
    )
    calendar.save()
    calendar.periods.all().delete()
    calendar.dates.all().delete()
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start_time=dt.time(8), end_time=dt.time(17)
        )
    return calendar


@pytest.fixture
def channels(db) -> None:
    row = NotificationSettings.load()
    row.working_hours = "Luni–Vineri 8:00–17:00"
    row.phone = "0336 103 792"
    row.save()
    SupportLine.objects.create(emergency_phone="0722 000 999", emergency_note="site down, 24/7")


def test_support_is_open_on_a_working_day_in_working_hours(office):
    hours = support_hours(now=dt.datetime(2026, 3, 4, 10, tzinfo=BUCHAREST))  # Wednesday
    assert not hours.is_closed and hours.opens_at is None


def test_support_is_closed_at_night_and_says_when_it_opens(office):
    hours = support_hours(now=dt.datetime(2026, 3, 6, 18, tzinfo=BUCHAREST))  # Friday evening
    assert hours.is_closed
    assert hours.opens_at == dt.datetime(2026, 3, 9, 8, tzinfo=BUCHAREST)


def test_support_is_closed_on_a_public_holiday(office):
    hours = support_hours(now=dt.datetime(2026, 12, 1, 10, tzinfo=BUCHAREST), holiday_days=30)
    assert hours.is_closed  # Ziua Națională
    assert dt.date(2026, 12, 25) in hours.holidays


def test_without_a_default_calendar_support_is_never_closed(db):
    Calendar.objects.update(is_default=False)
    assert not support_hours(now=dt.datetime(2026, 3, 8, 3, tzinfo=dt.UTC)).is_closed


def test_customer_sees_hours_and_emergency_line_in_the_footer(client, cast, channels):
    client.force_login(cast.cristina)
    text = client.get(reverse("portal:requests")).text
    assert "Luni–Vineri 8:00–17:00" in text
    assert "0722 000 999" in text and "site down, 24/7" in text


def test_help_page_says_closed_out_of_hours(client, cast, channels, office, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(
        timezone, "now", lambda: dt.datetime(2026, 3, 7, 12, tzinfo=BUCHAREST)
    )  # Saturday
    client.force_login(cast.cristina)
    text = client.get(reverse("portal:help")).text
    assert "Support is currently closed." in text
    assert "0336 103 792" in text
