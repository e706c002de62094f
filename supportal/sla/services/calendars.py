"""Business calendars: a calendar row as the pure clock's calendar, holidays by year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from supportal.sla import clock as business
from supportal.sla.models import (
    Calendar,
    DateKind,
)

_MAX_YEARS_AHEAD = 100


@lru_cache(maxsize=256)
def _public_holidays(country_code: str, subdivision: str, years: tuple[int, ...]) -> frozenset:
    return business.public_holidays(country_code, years, subdivision or None)


def calendar_business(
    calendar: Calendar | None, *, years: Iterable[int]
) -> business.BusinessCalendar:
    """The pure :class:`clock.BusinessCalendar` of a calendar row, with holidays for ``years``.

    Holidays are the country's public holidays in those years, plus the dates the administrator
    added, minus those they made working days. No calendar at all counts every hour in the
    site's time zone. Reads the calendar's periods and dates (prefetch them for many calls).
    """
    if calendar is None:
        return business.BusinessCalendar.always_open(settings.TIME_ZONE)
    if calendar.is_always_open:
        return business.BusinessCalendar.always_open(calendar.time_zone)
    week: dict[int, list[business.WorkingPeriod]] = {}
    for period in calendar.periods.all():
        week.setdefault(period.weekday, []).append(
            business.WorkingPeriod(period.start_time, period.end_time)
        )
    holidays: set[dt.date] = set()
    if calendar.country_code:
        holidays |= _public_holidays(
            calendar.country_code, calendar.subdivision, tuple(sorted(set(years)))
        )
    for day in calendar.dates.all():
        if day.kind == DateKind.HOLIDAY:
            holidays.add(day.date)
        else:
            holidays.discard(day.date)
    return business.BusinessCalendar(
        time_zone=calendar.time_zone, week=week, holidays=frozenset(holidays)
    )


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
    return Calendar.objects.filter(is_default=True).prefetch_related("periods", "dates").first()
