"""Business-time arithmetic for SLA clocks: pure functions over a working calendar.

Working hours are wall-clock times in the calendar's time zone, so a working day keeps its
wall-clock hours when clocks change: on a spring-forward day a period spanning the skipped hour is
one real hour shorter, on a fall-back day one real hour longer. A 24/7 calendar counts real
elapsed time instead.

Every instant returned is an aware datetime in UTC. Arguments may be aware datetimes in any zone;
naive datetimes are rejected. Working time is half-open: a period 08:00-17:00 contains 08:00 and
not 17:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_data

__all__ = [
    "BusinessCalendar",
    "Interval",
    "WorkingPeriod",
    "add_business_time",
    "business_time_between",
    "instant_used_reaches",
    "next_working_instant",
    "public_holidays",
    "working_time_used",
]

MIDNIGHT = time(0, 0)
ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class WorkingPeriod:
    """Working hours within one day, as wall-clock times; ``end == time(0)`` means end of day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if not isinstance(value, time):
                raise TypeError(f"working period bounds must be datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError("working period bounds are wall-clock times and must be naive")
        if not self.ends_at_midnight and self.end <= self.start:
            raise ValueError(f"working period must end after it starts: {self.start}-{self.end}")
        # The fold of a bound is decided by the calendar's rule, not by whoever built the time.
        object.__setattr__(self, "start", self.start.replace(fold=0))
        object.__setattr__(self, "end", self.end.replace(fold=0))

    @property
    def ends_at_midnight(self) -> bool:
        return self.end == MIDNIGHT


@dataclass(frozen=True)
class BusinessCalendar:
    """When SLA time counts: weekly working periods in a time zone, minus holidays.

    ``week`` maps a weekday (0 = Monday .. 6 = Sunday) to that day's periods; missing weekdays
    have none. ``holidays`` are local dates on which no time counts. An always-open calendar
    counts every instant and ignores ``week`` and ``holidays``.
    """

    time_zone: str
    week: Mapping[int, tuple[WorkingPeriod, ...]]
    holidays: frozenset[date] = field(default=frozenset(), repr=False)
    is_always_open: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "week", MappingProxyType(_normalised_week(self.week)))
        holidays = frozenset(self.holidays)
        for day in holidays:
            # A datetime is a date subclass but never equals one, so it would silently not match.
            if not isinstance(day, date) or isinstance(day, datetime):
                raise TypeError(f"holidays must be datetime.date values, got {day!r}")
        object.__setattr__(self, "holidays", holidays)

    def __hash__(self) -> int:
        return hash(
            (self.time_zone, tuple(sorted(self.week.items())), self.holidays, self.is_always_open)
        )

    @classmethod
    def always_open(cls, time_zone: str) -> BusinessCalendar:
        """A 24/7 calendar: every instant counts, with no holidays."""
        return cls(time_zone=time_zone, week={}, holidays=frozenset(), is_always_open=True)

    @classmethod
    def office_hours(
        cls,
        time_zone: str,
        start: time = time(8),
        end: time = time(17),
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[date] = frozenset(),
    ) -> BusinessCalendar:
        """One working period a day on the given weekdays (Monday-Friday 08:00-17:00 by default)."""
        periods = (WorkingPeriod(start, end),)
        return cls(
            time_zone=time_zone,
            week={weekday: periods for weekday in weekdays},
            holidays=frozenset(holidays),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def has_working_time(self) -> bool:
        return self.is_always_open or bool(self.week)


def _normalised_week(
    week: Mapping[int, Iterable[WorkingPeriod]],
) -> dict[int, tuple[WorkingPeriod, ...]]:
    normalised: dict[int, tuple[WorkingPeriod, ...]] = {}
    for weekday, periods in week.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        ordered = tuple(sorted(periods, key=lambda period: period.start))
        for period in ordered:
            if not isinstance(period, WorkingPeriod):
                raise TypeError(f"expected WorkingPeriod, got {period!r}")
        for earlier, later in pairwise(ordered):
            if earlier.ends_at_midnight or later.start < earlier.end:
                raise ValueError(f"working periods overlap on weekday {weekday}")
        if ordered:
            normalised[weekday] = ordered
    return normalised


def public_holidays(
    country_code: str, years: Iterable[int], subdivision: str | None = None
) -> frozenset[date]:
    """Public holidays of a country (ISO 3166 code, e.g. "RO", "CZ") in the given years."""
    try:
        table = holidays_data.country_holidays(
            country_code, subdiv=subdivision, years=sorted(set(years))
        )
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from exc
    return frozenset(table.keys())


def add_business_time(
    calendar: BusinessCalendar, start_at: datetime, duration: timedelta
) -> datetime:
    """The instant (UTC) at which ``duration`` of working time has elapsed since ``start_at``.

    Outside working time the clock starts at the next working instant. A zero duration returns
    the same instant as ``start_at``, even outside working time; a negative one raises
    ValueError. When the duration runs out exactly at the end of a period, the end of that
    period is returned, not the start of the next. Raises ValueError for a calendar with no
    working periods that is not always open.
    """
    start = _as_utc(start_at, "start_at")
    if duration < ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if duration == ZERO or calendar.is_always_open:
        return start + duration
    _require_working_time(calendar)
    remaining = duration
    for period_start, period_end in _intervals_from(calendar, _local_date(calendar, start)):
        if period_end <= start:
            continue
        begin = max(period_start, start)
        available = period_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("working intervals never run out")


def business_time_between(
    calendar: BusinessCalendar, start_at: datetime, end_at: datetime
) -> timedelta:
    """Working time in ``[start_at, end_at)``; zero when ``end_at <= start_at``."""
    start = _as_utc(start_at, "start_at")
    end = _as_utc(end_at, "end_at")
    if end <= start:
        return ZERO
    if calendar.is_always_open:
        return end - start
    total = ZERO
    # One day of margin on each side: around a fall-back at midnight the local date of an
    # instant and the day its working periods belong to can differ.
    day = _local_date(calendar, start) - ONE_DAY
    last_day = _local_date(calendar, end) + ONE_DAY
    while day <= last_day:
        for period_start, period_end in _day_intervals(calendar, day):
            overlap = min(period_end, end) - max(period_start, start)
            if overlap > ZERO:
                total += overlap
        day += ONE_DAY
    return total


def next_working_instant(calendar: BusinessCalendar, at: datetime) -> datetime:
    """``at`` itself (as UTC) if working time counts then, else the start of the next period."""
    instant = _as_utc(at, "at")
    if calendar.is_always_open:
        return instant
    _require_working_time(calendar)
    for period_start, period_end in _intervals_from(calendar, _local_date(calendar, instant)):
        if period_end > instant:
            return max(period_start, instant)
    raise AssertionError("working intervals never run out")


# A clock's running interval [start, end); an end of None means it is still running.
Interval = tuple[datetime, datetime | None]


def working_time_used(
    calendar: BusinessCalendar, intervals: Iterable[Interval], at: datetime
) -> timedelta:
    """Working time a clock has counted by ``at``, over its running intervals.

    An open interval runs up to ``at``; whatever lies after ``at`` does not count.
    """
    total = ZERO
    for start, end in intervals:
        total += business_time_between(calendar, start, at if end is None else min(end, at))
    return total


def instant_used_reaches(
    calendar: BusinessCalendar, intervals: Sequence[Interval], amount: timedelta
) -> datetime | None:
    """The instant (UTC) at which a clock running over ``intervals`` has counted ``amount``.

    ``intervals`` are in time order and do not overlap; only the last may be open, and an open
    interval runs without end. None when the closed intervals end before ``amount`` is reached,
    or when the calendar has no working time at all.

    Reaching ``amount`` exactly when an interval closes does not count as reaching it in that
    interval: a goal met (or a clock paused) at its deadline was in time. The clock then
    reaches it at the first working instant of its next interval. This is what makes "met
    late" and "breached" the same test: the instant returned is earlier than the stop.
    """
    if amount < ZERO:
        raise ValueError(f"amount must not be negative, got {amount}")
    if not calendar.has_working_time:
        return None
    counted = ZERO
    for start, end in intervals:
        left = amount - counted
        if left == ZERO:
            candidate = next_working_instant(calendar, start)
        else:
            candidate = add_business_time(calendar, start, left)
        if end is None or candidate < _as_utc(end, "end"):
            return candidate
        counted += business_time_between(calendar, start, end)
    return None


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _require_working_time(calendar: BusinessCalendar) -> None:
    if not calendar.has_working_time:
        raise ValueError("calendar has no working periods and is not always open")


def _local_date(calendar: BusinessCalendar, instant: datetime) -> date:
    return instant.astimezone(calendar.zone).date()


def _intervals_from(calendar: BusinessCalendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in time order from the day before ``day`` on, without end.

    Callers must have checked ``has_working_time``: the holidays are finite, so a calendar with
    any period keeps yielding intervals.
    """
    day -= ONE_DAY
    while True:
        yield from _day_intervals(calendar, day)
        day += ONE_DAY


def _day_intervals(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    if day in calendar.holidays:
        return []
    intervals = []
    for period in calendar.week.get(day.weekday(), ()):
        start = _wall_to_instant(calendar.zone, day, period.start)
        if period.ends_at_midnight:
            end = _wall_to_instant(calendar.zone, day + ONE_DAY, MIDNIGHT)
        else:
            end = _wall_to_instant(calendar.zone, day, period.end)
        if end > start:
            intervals.append((start, end))
    return intervals


def _wall_to_instant(zone: ZoneInfo, day: date, wall: time) -> datetime:
    """The first instant at which the local clock shows ``wall`` on ``day``, or has passed it.

    A repeated wall time (fall-back) maps to its first occurrence (fold=0): a period spanning the
    repeated hour counts it twice, one ending inside it ends at the first pass. A skipped wall
    time (spring-forward) maps to the transition itself, where the clock jumps past it: a period
    starting or ending in the gap keeps only its existing part, one wholly inside it is empty.
    PEP 495's own reading of a skipped time (fold=0 applies the old offset) would instead start
    such a period after the jump plus the gap's length, losing working time that exists.
    """
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(zone, naive)


def _gap_end(zone: ZoneInfo, naive: datetime) -> datetime:
    # In a gap, fold=1 applies the offset after the transition and lands before it; fold=0
    # applies the offset before it and lands after it. The local clock is below ``naive`` up to
    # the transition and above it from there on, so a bisection finds the transition exactly.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low_steps, high_steps = 0, (high - low) // _MICROSECOND
    while high_steps - low_steps > 1:
        middle = (low_steps + high_steps) // 2
        local = (low + middle * _MICROSECOND).astimezone(zone).replace(tzinfo=None)
        if local >= naive:
            high_steps = middle
        else:
            low_steps = middle
    return low + high_steps * _MICROSECOND
