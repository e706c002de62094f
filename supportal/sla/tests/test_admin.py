"""The administrator's side: saving calendars and policies recomputes open requests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supportal.sla.models import Calendar, Clock, DateKind, Goal, Policy, SlaEvent
from supportal.sla.sweeper import sla_sweep_due
from supportal.sla.tests.conftest import bucharest
from supportal.tickets.models import Event, Ticket


@pytest.fixture
def admin_web(cast) -> Client:
    web = Client()
    web.force_login(cast.admin)
    return web


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict[str, object]:
    data: dict[str, object] = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def calendar_post(calendar: Calendar, *, periods: list[dict], dates: list[dict]) -> dict:
    existing = list(calendar.periods.order_by("pk"))
    period_rows = [
        {
            "id": p.pk,
            "calendar": calendar.pk,
            "weekday": p.weekday,
            "start_time": "08:00",
            "end_time": "17:00",
        }
        for p in existing
    ] + periods
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "country_code": calendar.country_code,
        "subdivision": "",
        "is_default": "on" if calendar.is_default else "",
        **formset("periods", period_rows, initial=len(existing)),
        **formset("dates", dates),
    }


def test_a_holiday_added_in_the_admin_moves_open_deadlines(
    admin_web, cast, default_policy, office_calendar
):
    ticket = cast.ticket(now=bucharest("Thu 2026-01-15 16:00"))
    url = reverse("admin:sla_calendar_change", args=[office_calendar.pk])

    response = admin_web.post(
        url,
        calendar_post(
            office_calendar,
            periods=[],
            dates=[{"date": "2026-01-16", "kind": DateKind.HOLIDAY, "name": "Office move"}],
        ),
    )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    deadline = Clock.objects.get(ticket=ticket, goal=Goal.RESOLUTION).deadline_at
    assert deadline == bucharest("Mon 2026-01-19 09:00")


def test_overlapping_working_periods_are_refused(admin_web, office_calendar):
    url = reverse("admin:sla_calendar_change", args=[office_calendar.pk])
    response = admin_web.post(
        url,
        calendar_post(
            office_calendar,
            periods=[{"weekday": 0, "start_time": "16:00", "end_time": "18:00"}],
            dates=[],
        ),
    )
    assert response.status_code == 200
    assert "Working periods of the same day overlap." in response.content.decode()


def test_a_policy_saved_in_the_admin_recomputes_open_requests(admin_web, cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    url = reverse("admin:sla_policy_change", args=[default_policy.pk])
    response = admin_web.post(
        url,
        {
            "name_en": "Default",  # typed in each language (docs/languages.md#names)
            "calendar": default_policy.calendar_id,
            "first_response_duration": "00:30:00",
            "resolution_duration": "08:00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Clock.objects.get(ticket=ticket, goal=Goal.RESOLUTION).deadline_at == bucharest(
        "Mon 2026-01-12 17:00"
    )


def test_two_active_policies_for_the_same_requests_are_refused(admin_web, cast, default_policy):
    response = admin_web.post(
        reverse("admin:sla_policy_add"),
        {"name_en": "Twin", "calendar": default_policy.calendar_id, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "An active policy already applies to exactly these requests" in response.content.decode()
    assert not Policy.objects.filter(name="Twin").exists()


def test_every_sla_admin_page_opens(admin_web, cast, default_policy, office_calendar):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    sla_sweep_due(bucharest("Mon 2026-01-12 09:45"))
    for name in ("calendar", "policy", "deskslasettings", "clock", "slaevent"):
        assert admin_web.get(reverse(f"admin:sla_{name}_changelist") + "?q=HELP").status_code == 200
    for name, row in (
        ("calendar", office_calendar),
        ("policy", default_policy),
        ("clock", Clock.objects.filter(ticket=ticket).first()),
        ("slaevent", SlaEvent.objects.get(ticket=ticket)),
    ):
        assert admin_web.get(reverse(f"admin:sla_{name}_change", args=[row.pk])).status_code == 200
    assert admin_web.get(reverse("admin:sla_deskslasettings_add")).status_code == 200


def test_a_superuser_deletes_a_request_with_its_clocks(admin_web, cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    url = reverse("admin:tickets_ticket_delete", args=[ticket.pk])
    assert admin_web.post(url, {"post": "yes"}).status_code == 302
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Clock.objects.filter(ticket_id=ticket.pk).exists()
    assert not Event.objects.filter(ticket_id=ticket.pk).exists()


def test_a_calendar_in_use_cannot_be_deleted(admin_web, cast, default_policy, office_calendar):
    cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    url = reverse("admin:sla_calendar_delete", args=[office_calendar.pk])
    admin_web.post(url, {"post": "yes"})
    assert Calendar.objects.filter(pk=office_calendar.pk).exists()
