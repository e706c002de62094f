"""Recomputing open requests after an administrator's change, and the backfill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from supportal.desks.models import Desk
from supportal.sla.models import (
    Calendar,
    CalendarDate,
    Clock,
    ClockState,
    DateKind,
)
from supportal.sla.services.calendars import calendar_touch
from supportal.sla.services.clocks import _clocks_apply, _desk_rules, clock_next_due
from supportal.sla.services.recording import _clocks_of, _clocks_retarget, sla_event_record
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import (
    OPEN_STATUSES,
)


def calendar_changed(*, calendar: Calendar, now: dt.datetime | None = None) -> int:
    """Recompute the stored deadlines of open requests whose clocks run on ``calendar``.

    Call after the calendar, its working periods or its dates changed (the admin does). Returns
    the number of requests looked at. Side effects: clock fields and, where a deadline moved, a
    RECOMPUTE entry on the clock.
    """
    calendar_touch(calendar.pk)
    ticket_ids = (
        Clock.objects.filter(
            calendar=calendar,
            state__in=[ClockState.RUNNING, ClockState.PAUSED],
            ticket__status__in=OPEN_STATUSES,
        )
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        list(ticket_ids), reason="calendar_changed", reselect=False, now=now or timezone.now()
    )


def calendar_date_set(
    *,
    calendar: Calendar,
    date: dt.date,
    kind: DateKind,
    name: str = "",
    now: dt.datetime | None = None,
) -> CalendarDate:
    """Add a holiday to a calendar, or make one of its public holidays a working day.

    Side effects: the CalendarDate row (replacing one on the same date) and the recomputation
    of open requests on this calendar.
    """
    with transaction.atomic():
        row, _created = CalendarDate.objects.update_or_create(
            calendar=calendar, date=date, defaults={"kind": kind, "name": name.strip()}
        )
    calendar_changed(calendar=calendar, now=now)
    return row


def calendar_date_remove(
    *, calendar: Calendar, date: dt.date, now: dt.datetime | None = None
) -> None:
    """Drop an administrator's date from a calendar; the country's rule applies again.

    Side effects: deletes the row and recomputes open requests on this calendar.
    """
    CalendarDate.objects.filter(calendar=calendar, date=date).delete()
    calendar_changed(calendar=calendar, now=now)


def policies_changed(*, now: dt.datetime | None = None) -> int:
    """Choose the policy of every open request again and recompute its deadlines.

    Call after a policy was added, changed or deleted (the admin does). Returns the number of
    requests looked at. Side effects: clock targets, RETARGET and RECOMPUTE entries.
    """
    ticket_ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, sla_clocks__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        ticket_ids, reason="policy_changed", reselect=True, now=now or timezone.now()
    )


def desk_settings_changed(*, desk: Desk, now: dt.datetime | None = None) -> int:
    """Recompute the open requests of ``desk`` after its SLA settings changed (the admin does).

    Side effects: warning times and the customer's reply time of the waiting requests.
    """
    ticket_ids = list(
        Ticket.objects.filter(desk=desk, status__in=OPEN_STATUSES, sla_clocks__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        ticket_ids, reason="settings_changed", reselect=True, now=now or timezone.now()
    )


def _tickets_recompute(
    ticket_ids: Sequence[int], *, reason: str, reselect: bool, now: dt.datetime
) -> int:
    """Re-derive the clocks of these open requests, one request per transaction.

    Each request is locked as the ticket services lock it, so an event and a recomputation of
    the same request are applied one after the other.
    """
    done = 0
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("desk")
                .filter(pk=ticket_id, status__in=OPEN_STATUSES)
                .first()
            )
            if ticket is None:
                continue
            clocks = [clock for clock in _clocks_of(ticket) if not clock.is_stopped]
            rules = _desk_rules(ticket.desk_id)
            retargeted = _clocks_retarget(ticket, clocks, rules) if reselect else []
            _clocks_apply(
                clocks,
                [],
                rules,
                at=now,
                event=None,
                retargeted=retargeted,
                recompute_reason=reason,
            )
            done += 1
    return done


def tickets_backfill(*, now: dt.datetime | None = None) -> int:
    """Give clocks to requests created before the SLA engine, by replaying their events.

    Warnings and breaches already past are marked recorded without an SlaEvent, so the
    sweeper does not announce history. Returns the number of requests backfilled. Side
    effects: Clock and ClockEntry rows.
    """
    at = now or timezone.now()
    ticket_ids = list(
        Ticket.objects.filter(sla_clocks__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
            if ticket.sla_clocks.exists():
                continue
            for event in ticket.events.select_related("actor").order_by("created_at", "pk"):
                event.ticket = ticket
                sla_event_record(event)
            for clock in Clock.objects.filter(ticket=ticket, next_due_at__lt=at):
                clock.is_warning_recorded = clock.warn_at is not None and clock.warn_at < at
                clock.is_breach_recorded = clock.is_breached or (
                    clock.deadline_at is not None and clock.deadline_at < at
                )
                clock.next_due_at = clock_next_due(clock)
                clock.save(
                    update_fields=["is_warning_recorded", "is_breach_recorded", "next_due_at"]
                )
    return len(ticket_ids)
