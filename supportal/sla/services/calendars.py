"""Business calendars: a calendar row as the pure clock's calendar, holidays by year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from supportal.desks.choices import desks_touch
from supportal.sla import clock as business
from supportal.sla.models import (
    Calendar,
    CalendarDate,
    DateKind,
    DeskSlaSettings,
    Policy,
    WorkingPeriod,
)

_MAX_YEARS_AHEAD = 100


@lru_cache(maxsize=256)
def _public_holidays(country_code: str, subdivision: str, years: tuple[int, ...]) -> frozenset:
    return business.public_holidays(country_code, years, subdivision or None)


# Built calendars, kept for the life of the process. The key holds the row's identity and
# its updated_at, which every change of its periods and dates moves (calendar_touch): an
# edit is seen by the next request in every process, without a query to ask.
_BUILT: dict[tuple, business.BusinessCalendar] = {}
_BUILT_MAX = 512


def calendar_business(
    calendar: Calendar | None, *, years: Iterable[int]
) -> business.BusinessCalendar:
    """The pure :class:`clock.BusinessCalendar` of a calendar row, with holidays for ``years``.

    Holidays are the country's public holidays in those years, plus the dates the administrator
    added, minus those they made working days. No calendar at all counts every hour in the
    site's time zone. Built once per process for each version of the calendar (its
    ``updated_at``, moved by every change of its periods and dates, see
    docs/performance.md); reads the calendar's periods and dates only when building.
    """
    if calendar is None:
        return business.BusinessCalendar.always_open(settings.TIME_ZONE)
    if calendar.is_always_open:
        return business.BusinessCalendar.always_open(calendar.time_zone)
    year_key = tuple(sorted(set(years)))
    key = (
        calendar.pk,
        calendar.created_at,
        calendar.updated_at,
        calendar.time_zone,
        calendar.country_code,
        calendar.subdivision,
        year_key,
    )
    built = _BUILT.get(key) if calendar.pk is not None else None
    if built is None:
        built = _calendar_build(calendar, year_key)
        if calendar.pk is not None:
            if len(_BUILT) >= _BUILT_MAX:
                _BUILT.clear()
            _BUILT[key] = built
    return built


def _calendar_build(calendar: Calendar, years: tuple[int, ...]) -> business.BusinessCalendar:
    week: dict[int, list[business.WorkingPeriod]] = {}
    for period in calendar.periods.all():
        week.setdefault(period.weekday, []).append(
            business.WorkingPeriod(period.start_time, period.end_time)
        )
    holidays: set[dt.date] = set()
    if calendar.country_code:
        holidays |= _public_holidays(calendar.country_code, calendar.subdivision, years)
    for day in calendar.dates.all():
        if day.kind == DateKind.HOLIDAY:
            holidays.add(day.date)
        else:
            holidays.discard(day.date)
    return business.BusinessCalendar(
        time_zone=calendar.time_zone,
        week={day: tuple(periods) for day, periods in week.items()},
        holidays=frozenset(holidays),
    )


def calendar_touch(calendar_id: int) -> None:
    """Move the calendar's ``updated_at``: its built form, cached in every process, is built
    again on next use. Called on every save and delete of a working period or a date (the
    admin's inlines, ``calendar_date_set``) and by ``calendar_changed``; a change written
    around the ORM (``QuerySet.update``, SQL) must call ``calendar_changed``, which it needs
    anyway to recompute the open requests' deadlines. The desks' version moves too: a desk's
    SLA settings, kept per process, hold their reply calendar (``_desk_rules``)."""
    Calendar.objects.filter(pk=calendar_id).update(updated_at=timezone.now())
    desks_touch()


def _calendar_part_changed(sender, instance, **kwargs) -> None:
    calendar_touch(instance.calendar_id)


def calendar_signals_connect() -> None:
    """Touch the calendar whenever one of its periods or dates is saved or deleted, and the
    desks whenever a calendar, a policy or a desk's SLA settings are (what ``_desk_rules``
    and ``policy_for_ticket`` keep per process)."""
    for model in (WorkingPeriod, CalendarDate):
        post_save.connect(_calendar_part_changed, sender=model, dispatch_uid=f"touch-{model}")
        post_delete.connect(_calendar_part_changed, sender=model, dispatch_uid=f"touch-{model}")
    for kept in (Calendar, DeskSlaSettings, Policy):
        post_save.connect(desks_touch, sender=kept, dispatch_uid=f"desks-touch-{kept}")
        post_delete.connect(desks_touch, sender=kept, dispatch_uid=f"desks-touch-d-{kept}")


@dataclass
class CalendarBook:
    """Pure calendars built once per operation; holidays are added a year range at a time."""

    built: dict[tuple[int | None, int, int], business.BusinessCalendar] = field(
        default_factory=dict
    )

    def get(self, calendar: Calendar | None, first_year: int, last_year: int):
        key = (getattr(calendar, "pk", None), first_year, last_year)
        if key not in self.built:
            self.built[key] = calendar_business(calendar, years=range(first_year, last_year + 1))
        return self.built[key]

    def compute(
        self,
        calendar: Calendar | None,
        since: dt.datetime,
        until: dt.datetime,
        computation: Callable[[business.BusinessCalendar], Sequence[dt.datetime | None]],
    ) -> Sequence[dt.datetime | None]:
        """Run ``computation`` with holidays known for every year up to the instants it returns.

        Holidays come by whole years; a result in the last year covered could move if that
        year's successor had been known, so the range grows until the results stay inside it.
        """
        first_year = since.year - 1  # a local date may still be in the previous UTC year
        last_year = until.year + 1
        while True:
            results = computation(self.get(calendar, first_year, last_year))
            latest = max((instant for instant in results if instant is not None), default=None)
            if latest is None or latest.year < last_year:
                return results
            if last_year - until.year > _MAX_YEARS_AHEAD:
                return results
            last_year = latest.year + 1


def default_calendar() -> Calendar | None:
    return Calendar.objects.filter(is_default=True).first()
