import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportal.sla.clock import (
    BusinessCalendar,
    WorkingPeriod,
    add_business_time,
    business_time_between,
    instant_used_reaches,
    next_working_instant,
    public_holidays,
    working_time_used,
)

BUCHAREST = ZoneInfo("Europe/Bucharest")
EVERY_DAY = range(7)

# The default calendar: Monday-Friday 08:00-17:00 in Romania, except Romanian public holidays.
OFFICE_HOURS = BusinessCalendar.office_hours(
    "Europe/Bucharest", holidays=public_holidays("RO", range(2025, 2036))
)
PRAGUE_OFFICE = BusinessCalendar.office_hours(
    "Europe/Prague", holidays=public_holidays("CZ", range(2025, 2029))
)
LUNCH_BREAK = BusinessCalendar(
    time_zone="Europe/Bucharest",
    week={
        weekday: (WorkingPeriod(time(8), time(12)), WorkingPeriod(time(13), time(17)))
        for weekday in range(5)
    },
    holidays=public_holidays("RO", range(2025, 2029)),
)
# 02:00-05:00 spans both the skipped (03:00-04:00 on 29 March 2026) and the repeated
# (03:00-04:00 on 25 October 2026) hour in Bucharest.
NIGHT_SHIFT = BusinessCalendar(
    "Europe/Bucharest", {day: (WorkingPeriod(time(2), time(5)),) for day in EVERY_DAY}
)
STARTS_IN_THE_GAP = BusinessCalendar(
    "Europe/Bucharest", {day: (WorkingPeriod(time(3, 30), time(5)),) for day in EVERY_DAY}
)
INSIDE_THE_GAP = BusinessCalendar(
    "Europe/Bucharest", {day: (WorkingPeriod(time(3, 10), time(3, 50)),) for day in EVERY_DAY}
)
EVENINGS = BusinessCalendar(
    "Europe/Bucharest", {day: (WorkingPeriod(time(18), time(0)),) for day in EVERY_DAY}
)
WHOLE_WALL_CLOCK_DAYS = BusinessCalendar(
    "Europe/Bucharest", {day: (WorkingPeriod(time(0), time(0)),) for day in EVERY_DAY}
)
ALWAYS_OPEN = BusinessCalendar.always_open("Europe/Bucharest")
# Samoa skipped 30 December 2011 entirely; Chile springs forward at midnight.
SAMOA_WHOLE_DAYS = BusinessCalendar(
    "Pacific/Apia", {day: (WorkingPeriod(time(0), time(0)),) for day in EVERY_DAY}
)
SANTIAGO_WHOLE_DAYS = BusinessCalendar(
    "America/Santiago", {day: (WorkingPeriod(time(0), time(0)),) for day in EVERY_DAY}
)
NO_WORKING_TIME = BusinessCalendar("Europe/Bucharest", week={0: ()})


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def local(calendar: BusinessCalendar, moment: str | datetime) -> datetime:
    """Reads "Fri 2026-01-09 16:00" as a wall-clock time in the calendar's zone."""
    if isinstance(moment, datetime):
        return moment
    weekday, wall = moment.split(" ", 1)
    parsed = datetime.fromisoformat(wall).replace(tzinfo=calendar.zone)
    assert WEEKDAYS[parsed.weekday()] == weekday, f"{moment} is a {WEEKDAYS[parsed.weekday()]}"
    return parsed


def bucharest(moment: str) -> datetime:
    return local(OFFICE_HOURS, moment)


def assert_same_instant(result: datetime, expected: datetime) -> None:
    assert result.tzinfo is UTC
    # Compared in UTC: an aware datetime in a repeated hour never equals one in another zone.
    assert result == expected.astimezone(UTC), (result, expected.astimezone(UTC))


def row(*values: object) -> tuple[object, ...]:
    return values


def table(cases: dict[str, tuple[object, ...]]) -> list:
    return [pytest.param(*values, id=name) for name, values in cases.items()]


SECOND_PASS_OF_03_30 = datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=BUCHAREST)
HOLIDAY_24_7 = BusinessCalendar(
    "Europe/Bucharest", {}, frozenset({date(2026, 12, 1)}), is_always_open=True
)

ADDING = {
    "inside working hours the clock simply runs": row(
        OFFICE_HOURS, "Mon 2026-01-05 10:00", 2 * H, "Mon 2026-01-05 12:00"
    ),
    "before opening the clock starts at 08:00": row(
        OFFICE_HOURS, "Mon 2026-01-05 06:30", H, "Mon 2026-01-05 09:00"
    ),
    "after closing the clock starts the next morning": row(
        OFFICE_HOURS, "Mon 2026-01-12 18:00", H, "Tue 2026-01-13 09:00"
    ),
    "work left at closing time continues after the overnight gap": row(
        OFFICE_HOURS, "Mon 2026-01-12 16:00", 2 * H, "Tue 2026-01-13 09:00"
    ),
    "a full working day ends at closing time and not the next morning": row(
        OFFICE_HOURS, "Mon 2026-01-05 08:00", 9 * H, "Mon 2026-01-05 17:00"
    ),
    "friday afternoon work continues on monday": row(
        OFFICE_HOURS, "Fri 2026-01-09 16:00", 2 * H, "Mon 2026-01-12 09:00"
    ),
    "a saturday start waits for monday": row(
        OFFICE_HOURS, "Sat 2026-01-10 10:00", H, "Mon 2026-01-12 09:00"
    ),
    "a working week holds 45 hours": row(
        OFFICE_HOURS, "Mon 2026-01-12 08:00", 45 * H, "Fri 2026-01-16 17:00"
    ),
    "epiphany and saint john on 6 and 7 january are skipped": row(
        OFFICE_HOURS, "Mon 2026-01-05 16:00", 2 * H, "Thu 2026-01-08 09:00"
    ),
    "new year on 1 and 2 january and the weekend are skipped": row(
        OFFICE_HOURS, "Wed 2025-12-31 16:00", 2 * H, "Mon 2026-01-05 09:00"
    ),
    "saint andrew on 30 november and national day on 1 december are skipped": row(
        OFFICE_HOURS, "Fri 2026-11-27 16:00", 2 * H, "Wed 2026-12-02 09:00"
    ),
    "orthodox good friday and easter monday 13 april 2026 are skipped": row(
        OFFICE_HOURS, "Thu 2026-04-09 16:00", 2 * H, "Tue 2026-04-14 09:00"
    ),
    "labour day on 1 may is skipped": row(
        OFFICE_HOURS, "Thu 2026-04-30 16:00", 2 * H, "Mon 2026-05-04 09:00"
    ),
    "office hours keep their wall clock times across the spring forward weekend": row(
        OFFICE_HOURS, "Fri 2026-03-27 16:00", 2 * H, "Mon 2026-03-30 09:00"
    ),
    "office hours keep their wall clock times across the fall back weekend": row(
        OFFICE_HOURS, "Fri 2026-10-23 16:00", 2 * H, "Mon 2026-10-26 09:00"
    ),
    "a start given in utc is read in the calendar time zone": row(
        OFFICE_HOURS, datetime(2026, 1, 5, 6, tzinfo=UTC), H, "Mon 2026-01-05 09:00"
    ),
    "czech independence day on 28 october is skipped": row(
        PRAGUE_OFFICE, "Tue 2026-10-27 16:00", 2 * H, "Thu 2026-10-29 09:00"
    ),
    "czech freedom and democracy day on 17 november is skipped": row(
        PRAGUE_OFFICE, "Mon 2026-11-16 16:00", 2 * H, "Wed 2026-11-18 09:00"
    ),
    "romanian national day is a working day in prague": row(
        PRAGUE_OFFICE, "Mon 2026-11-30 16:00", 2 * H, "Tue 2026-12-01 09:00"
    ),
    "the lunch break does not count": row(
        LUNCH_BREAK, "Mon 2026-01-12 11:00", 2 * H, "Mon 2026-01-12 14:00"
    ),
    "a start during lunch waits until 13:00": row(
        LUNCH_BREAK, "Mon 2026-01-12 12:30", H, "Mon 2026-01-12 14:00"
    ),
    "a morning of work ends at noon": row(
        LUNCH_BREAK, "Mon 2026-01-12 08:00", 4 * H, "Mon 2026-01-12 12:00"
    ),
    "a day with a lunch break holds eight hours": row(
        LUNCH_BREAK, "Mon 2026-01-12 08:00", 8 * H, "Mon 2026-01-12 17:00"
    ),
    "the afternoon period continues the next morning": row(
        LUNCH_BREAK, "Mon 2026-01-12 16:30", H, "Tue 2026-01-13 08:30"
    ),
    "the spring forward night shift holds two real hours": row(
        NIGHT_SHIFT, "Sun 2026-03-29 02:00", 2 * H, "Sun 2026-03-29 05:00"
    ),
    "the clock jumps over the skipped hour": row(
        NIGHT_SHIFT, "Sun 2026-03-29 02:30", H, "Sun 2026-03-29 04:30"
    ),
    "a third hour on the spring forward night runs into the next night": row(
        NIGHT_SHIFT, "Sun 2026-03-29 02:00", 3 * H, "Mon 2026-03-30 03:00"
    ),
    "the fall back night shift holds four real hours": row(
        NIGHT_SHIFT, "Sun 2026-10-25 02:00", 4 * H, "Sun 2026-10-25 05:00"
    ),
    "the repeated hour is first counted in summer time": row(
        NIGHT_SHIFT, "Sun 2026-10-25 02:00", 90 * MIN, "Sun 2026-10-25 03:30"
    ),
    "the repeated hour is counted again in winter time": row(
        NIGHT_SHIFT, "Sun 2026-10-25 02:00", 150 * MIN, SECOND_PASS_OF_03_30
    ),
    "a period starting in the skipped hour starts when the clock jumps": row(
        STARTS_IN_THE_GAP, "Sun 2026-03-29 00:00", 30 * MIN, "Sun 2026-03-29 04:30"
    ),
    "a period wholly inside the skipped hour holds no time that day": row(
        INSIDE_THE_GAP, "Sat 2026-03-28 03:45", 10 * MIN, "Mon 2026-03-30 03:15"
    ),
    "a period ending at midnight runs to the end of its day": row(
        EVENINGS, "Mon 2026-01-05 23:00", 2 * H, "Tue 2026-01-06 19:00"
    ),
    "whole wall clock days count every real instant": row(
        WHOLE_WALL_CLOCK_DAYS, "Sat 2026-03-28 12:00", 24 * H, "Sun 2026-03-29 13:00"
    ),
    "a 24/7 day across spring forward is 24 real hours": row(
        ALWAYS_OPEN, "Sat 2026-03-28 12:00", 24 * H, "Sun 2026-03-29 13:00"
    ),
    "a 24/7 day across fall back is 24 real hours": row(
        ALWAYS_OPEN, "Sat 2026-10-24 12:00", 24 * H, "Sun 2026-10-25 11:00"
    ),
    "a 24/7 calendar counts nights and weekends": row(
        ALWAYS_OPEN, "Sat 2026-01-10 23:00", 3 * H, "Sun 2026-01-11 02:00"
    ),
    "a 24/7 calendar ignores holidays": row(
        HOLIDAY_24_7, "Tue 2026-12-01 10:00", H, "Tue 2026-12-01 11:00"
    ),
}


@pytest.mark.parametrize(("calendar", "start", "duration", "expected"), table(ADDING))
def test_adding_business_time_gives_the_deadline(calendar, start, duration, expected):
    deadline = add_business_time(calendar, local(calendar, start), duration)
    assert_same_instant(deadline, local(calendar, expected))


BETWEEN = {
    "two morning hours count in full": row(
        OFFICE_HOURS, "Mon 2026-01-05 10:00", "Mon 2026-01-05 12:00", 2 * H
    ),
    "a weekend in between does not count": row(
        OFFICE_HOURS, "Fri 2026-01-09 16:00", "Mon 2026-01-12 09:00", 2 * H
    ),
    "a weekend alone holds no working time": row(
        OFFICE_HOURS, "Sat 2026-01-10 00:00", "Mon 2026-01-12 00:00", timedelta(0)
    ),
    "a night alone holds no working time": row(
        OFFICE_HOURS, "Mon 2026-01-12 18:00", "Tue 2026-01-13 07:00", timedelta(0)
    ),
    "an ordinary week holds 45 hours": row(
        OFFICE_HOURS, "Mon 2026-01-12 00:00", "Mon 2026-01-19 00:00", 45 * H
    ),
    "the week of 30 november and 1 december holds 27 hours": row(
        OFFICE_HOURS, "Mon 2026-11-30 00:00", "Mon 2026-12-07 00:00", 27 * H
    ),
    "two weeks around orthodox easter 2026 lose good friday and easter monday": row(
        OFFICE_HOURS, "Mon 2026-04-06 00:00", "Mon 2026-04-20 00:00", 72 * H
    ),
    "two weeks across spring forward hold 90 wall clock hours": row(
        OFFICE_HOURS, "Mon 2026-03-23 00:00", "Mon 2026-04-06 00:00", 90 * H
    ),
    "an end before the start gives zero": row(
        OFFICE_HOURS, "Mon 2026-01-05 12:00", "Mon 2026-01-05 10:00", timedelta(0)
    ),
    "an end equal to the start gives zero": row(
        OFFICE_HOURS, "Mon 2026-01-05 10:00", "Mon 2026-01-05 10:00", timedelta(0)
    ),
    "the czech week of 28 october holds 36 hours": row(
        PRAGUE_OFFICE, "Mon 2026-10-26 00:00", "Sat 2026-10-31 00:00", 36 * H
    ),
    "the czech week of 17 november holds 36 hours": row(
        PRAGUE_OFFICE, "Mon 2026-11-16 00:00", "Sat 2026-11-21 00:00", 36 * H
    ),
    "a day with a lunch break holds eight hours": row(
        LUNCH_BREAK, "Mon 2026-01-12 00:00", "Tue 2026-01-13 00:00", 8 * H
    ),
    "the lunch break inside an interval does not count": row(
        LUNCH_BREAK, "Mon 2026-01-12 11:30", "Mon 2026-01-12 13:30", H
    ),
    "an ordinary night shift holds three hours": row(
        NIGHT_SHIFT, "Sat 2026-03-28 00:00", "Sun 2026-03-29 00:00", 3 * H
    ),
    "the spring forward night shift is one hour shorter": row(
        NIGHT_SHIFT, "Sun 2026-03-29 00:00", "Mon 2026-03-30 00:00", 2 * H
    ),
    "the fall back night shift is one hour longer": row(
        NIGHT_SHIFT, "Sun 2026-10-25 00:00", "Mon 2026-10-26 00:00", 4 * H
    ),
    "a period starting in the skipped hour keeps only its existing part": row(
        STARTS_IN_THE_GAP, "Sun 2026-03-29 00:00", "Mon 2026-03-30 00:00", H
    ),
    "a period wholly inside the skipped hour is empty": row(
        INSIDE_THE_GAP, "Sun 2026-03-29 00:00", "Mon 2026-03-30 00:00", timedelta(0)
    ),
    "the same period on an ordinary day holds forty minutes": row(
        INSIDE_THE_GAP, "Sat 2026-03-28 00:00", "Sun 2026-03-29 00:00", 40 * MIN
    ),
    "a whole wall clock day on spring forward is 23 real hours": row(
        WHOLE_WALL_CLOCK_DAYS, "Sun 2026-03-29 00:00", "Mon 2026-03-30 00:00", 23 * H
    ),
    "a whole wall clock day on fall back is 25 real hours": row(
        WHOLE_WALL_CLOCK_DAYS, "Sun 2026-10-25 00:00", "Mon 2026-10-26 00:00", 25 * H
    ),
    "a local day that never happened holds no time": row(
        SAMOA_WHOLE_DAYS, "Thu 2011-12-29 00:00", "Sat 2011-12-31 00:00", 24 * H
    ),
    "a day whose midnight is skipped starts when the clock jumps": row(
        SANTIAGO_WHOLE_DAYS, "Sun 2026-09-06 00:00", "Mon 2026-09-07 00:00", 23 * H
    ),
    "a period ending at midnight holds the last hour of the day": row(
        EVENINGS, "Mon 2026-01-05 12:00", "Tue 2026-01-06 12:00", 6 * H
    ),
    "a 24/7 calendar counts real elapsed time across fall back": row(
        ALWAYS_OPEN, "Sun 2026-10-25 02:00", "Sun 2026-10-25 05:00", 4 * H
    ),
    "a 24/7 calendar counts the whole weekend": row(
        ALWAYS_OPEN, "Fri 2026-01-09 17:00", "Mon 2026-01-12 08:00", 63 * H
    ),
    "a calendar without working periods holds no time": row(
        NO_WORKING_TIME, "Thu 2026-01-01 00:00", "Fri 2027-01-01 00:00", timedelta(0)
    ),
}


@pytest.mark.parametrize(("calendar", "start", "end", "expected"), table(BETWEEN))
def test_business_time_between_counts_only_working_time(calendar, start, end, expected):
    assert business_time_between(calendar, local(calendar, start), local(calendar, end)) == expected


NEXT_WORKING = {
    "an instant inside working hours is itself": row(
        OFFICE_HOURS, "Mon 2026-01-05 10:00", "Mon 2026-01-05 10:00"
    ),
    "opening time is working time": row(
        OFFICE_HOURS, "Mon 2026-01-05 08:00", "Mon 2026-01-05 08:00"
    ),
    "an early morning moves to opening time": row(
        OFFICE_HOURS, "Mon 2026-01-05 07:00", "Mon 2026-01-05 08:00"
    ),
    "closing time is no longer working time": row(
        OFFICE_HOURS, "Mon 2026-01-12 17:00", "Tue 2026-01-13 08:00"
    ),
    "a friday evening moves to monday morning": row(
        OFFICE_HOURS, "Fri 2026-01-09 20:00", "Mon 2026-01-12 08:00"
    ),
    "a holiday moves to the next working day": row(
        OFFICE_HOURS, "Tue 2026-12-01 10:00", "Wed 2026-12-02 08:00"
    ),
    "lunch time moves to the afternoon period": row(
        LUNCH_BREAK, "Mon 2026-01-12 12:15", "Mon 2026-01-12 13:00"
    ),
    "a period starting in the skipped hour opens when the clock jumps": row(
        STARTS_IN_THE_GAP, "Sun 2026-03-29 02:50", "Sun 2026-03-29 04:00"
    ),
    "every instant is working time on a 24/7 calendar": row(
        ALWAYS_OPEN, "Sat 2026-01-10 03:00", "Sat 2026-01-10 03:00"
    ),
}


@pytest.mark.parametrize(("calendar", "at", "expected"), table(NEXT_WORKING))
def test_next_working_instant(calendar, at, expected):
    working = next_working_instant(calendar, local(calendar, at))
    assert_same_instant(working, local(calendar, expected))


@pytest.mark.parametrize(
    ("calendar", "start"),
    [
        pytest.param(OFFICE_HOURS, bucharest("Mon 2026-01-05 10:00"), id="inside working hours"),
        pytest.param(OFFICE_HOURS, bucharest("Sat 2026-01-10 10:00"), id="on a saturday"),
        pytest.param(OFFICE_HOURS, bucharest("Tue 2026-12-01 10:00"), id="on a holiday"),
        pytest.param(OFFICE_HOURS, bucharest("Mon 2026-01-05 17:00"), id="at closing time"),
        pytest.param(ALWAYS_OPEN, bucharest("Sat 2026-01-10 10:00"), id="on a 24/7 calendar"),
        pytest.param(
            NO_WORKING_TIME, bucharest("Mon 2026-01-05 10:00"), id="without working periods"
        ),
    ],
)
def test_adding_zero_returns_the_start_instant_itself(calendar, start):
    assert_same_instant(add_business_time(calendar, start, timedelta(0)), start)


@pytest.mark.parametrize(
    "duration",
    [timedelta(microseconds=-1), -H, timedelta(days=-3)],
    ids=["a microsecond", "an hour", "three days"],
)
def test_adding_a_negative_duration_is_refused(duration):
    with pytest.raises(ValueError, match="negative"):
        add_business_time(OFFICE_HOURS, bucharest("Mon 2026-01-05 10:00"), duration)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda naive: add_business_time(OFFICE_HOURS, naive, H), id="adding business time"
        ),
        pytest.param(
            lambda naive: business_time_between(
                OFFICE_HOURS, naive, bucharest("Tue 2026-01-06 00:00")
            ),
            id="business time from a naive start",
        ),
        pytest.param(
            lambda naive: business_time_between(
                OFFICE_HOURS, bucharest("Sun 2026-01-04 00:00"), naive
            ),
            id="business time to a naive end",
        ),
        pytest.param(
            lambda naive: next_working_instant(OFFICE_HOURS, naive), id="the next working instant"
        ),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 1, 5, 10))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda: add_business_time(NO_WORKING_TIME, bucharest("Mon 2026-01-05 00:00"), H),
            id="adding business time",
        ),
        pytest.param(
            lambda: next_working_instant(NO_WORKING_TIME, bucharest("Mon 2026-01-05 00:00")),
            id="looking for the next working instant",
        ),
    ],
)
def test_a_calendar_without_working_periods_fails_instead_of_looping(call):
    with pytest.raises(ValueError, match="no working periods"):
        call()


@pytest.mark.parametrize(
    ("build", "error"),
    [
        pytest.param(lambda: WorkingPeriod(time(17), time(8)), ValueError, id="end before start"),
        pytest.param(lambda: WorkingPeriod(time(8), time(8)), ValueError, id="empty period"),
        pytest.param(
            lambda: WorkingPeriod(time(8, tzinfo=UTC), time(17)),
            ValueError,
            id="period bound with a time zone",
        ),
        pytest.param(
            lambda: BusinessCalendar(
                "Europe/Bucharest",
                {0: (WorkingPeriod(time(8), time(12)), WorkingPeriod(time(11), time(17)))},
            ),
            ValueError,
            id="overlapping periods",
        ),
        pytest.param(
            lambda: BusinessCalendar("Europe/Bucharest", {7: (WorkingPeriod(time(8), time(9)),)}),
            ValueError,
            id="weekday out of range",
        ),
        pytest.param(
            lambda: BusinessCalendar.office_hours("Mars/Olympus_Mons"),
            ValueError,
            id="unknown time zone",
        ),
        pytest.param(
            lambda: BusinessCalendar.office_hours(
                "Europe/Bucharest", holidays=[datetime(2026, 12, 1)]
            ),
            TypeError,
            id="a datetime given as holiday",
        ),
        pytest.param(lambda: public_holidays("XX", [2026]), ValueError, id="unknown country"),
    ],
)
def test_invalid_calendars_are_refused(build, error):
    with pytest.raises(error):
        build()


def test_calendars_are_values_that_compare_and_hash_by_content():
    unsorted = BusinessCalendar(
        "Europe/Bucharest",
        {0: (WorkingPeriod(time(20), time(0)), WorkingPeriod(time(8), time(12))), 1: ()},
    )
    ordered = BusinessCalendar(
        "Europe/Bucharest",
        {0: (WorkingPeriod(time(8), time(12)), WorkingPeriod(time(20), time(0)))},
    )
    assert unsorted == ordered
    assert hash(unsorted) == hash(ordered)
    assert unsorted.week[0][0].start == time(8)


@pytest.mark.parametrize(
    ("country", "day", "is_holiday"),
    [
        pytest.param("RO", date(2026, 12, 1), True, id="1 december is a romanian holiday"),
        pytest.param("RO", date(2026, 4, 13), True, id="orthodox easter monday 2026 in romania"),
        pytest.param("RO", date(2026, 5, 1), True, id="1 may is a romanian holiday"),
        pytest.param("RO", date(2026, 10, 28), False, id="28 october is not romanian"),
        pytest.param("CZ", date(2026, 10, 28), True, id="28 october is a czech holiday"),
        pytest.param("CZ", date(2026, 11, 17), True, id="17 november is a czech holiday"),
        pytest.param("CZ", date(2026, 4, 6), True, id="western easter monday 2026 in czechia"),
        pytest.param("CZ", date(2026, 12, 1), False, id="1 december is not czech"),
    ],
)
def test_public_holidays_come_from_the_holidays_package(country, day, is_holiday):
    assert (day in public_holidays(country, [2026])) is is_holiday


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(OFFICE_HOURS, id="office hours"),
        pytest.param(
            BusinessCalendar("Europe/Bucharest", {0: (WorkingPeriod(time(9), time(10)),)}),
            id="one hour a week",
        ),
    ],
)
def test_ten_thousand_hours_are_added_without_walking_minute_by_minute(calendar):
    start = bucharest("Mon 2026-01-05 08:00")
    began = timer.perf_counter()
    deadline = add_business_time(calendar, start, 10_000 * H)
    elapsed = timer.perf_counter() - began
    assert business_time_between(calendar, start, deadline) == 10_000 * H
    assert elapsed < 2


INTERESTING_DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 4, 13),
    date(2026, 5, 1),
    date(2026, 12, 1),
    date(2026, 1, 1),
    date(2026, 1, 9),
]
CALENDARS = st.sampled_from(
    [
        OFFICE_HOURS,
        PRAGUE_OFFICE,
        LUNCH_BREAK,
        NIGHT_SHIFT,
        STARTS_IN_THE_GAP,
        INSIDE_THE_GAP,
        EVENINGS,
        ALWAYS_OPEN,
    ]
)
INSTANTS = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(
        lambda naive: naive.replace(tzinfo=UTC)
    ),
    st.builds(
        lambda day, offset: datetime.combine(day, time(), tzinfo=UTC) + offset,
        st.sampled_from(INTERESTING_DAYS),
        st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
    ),
)
DURATIONS = st.one_of(
    st.timedeltas(min_value=timedelta(0), max_value=300 * H),
    st.integers(min_value=0, max_value=600).map(lambda minutes: minutes * MIN),
)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, start=INSTANTS, duration=DURATIONS)
def test_the_time_between_a_start_and_its_deadline_is_the_duration_added(calendar, start, duration):
    deadline = add_business_time(calendar, start, duration)
    assert business_time_between(calendar, start, deadline) == duration
    working_start = next_working_instant(calendar, start)
    assert (
        business_time_between(
            calendar, working_start, add_business_time(calendar, working_start, duration)
        )
        == duration
    )


@PROPERTY_SETTINGS
@given(
    calendar=CALENDARS,
    starts=st.lists(INSTANTS, min_size=2, max_size=2),
    durations=st.lists(DURATIONS, min_size=2, max_size=2),
)
def test_later_starts_and_longer_durations_never_give_earlier_deadlines(
    calendar, starts, durations
):
    early, late = sorted(starts)
    short, long = sorted(durations)
    assert add_business_time(calendar, early, short) <= add_business_time(calendar, early, long)
    assert add_business_time(calendar, early, short) <= add_business_time(calendar, late, short)
    assert business_time_between(calendar, early, late) <= late - early


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, start=INSTANTS, first=DURATIONS, second=DURATIONS)
def test_adding_in_two_steps_equals_adding_the_sum(calendar, start, first, second):
    in_two_steps = add_business_time(calendar, add_business_time(calendar, start, first), second)
    assert in_two_steps == add_business_time(calendar, start, first + second)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, instants=st.lists(INSTANTS, min_size=3, max_size=3))
def test_business_time_adds_up_over_a_split_point(calendar, instants):
    start, middle, end = sorted(instants)
    assert business_time_between(calendar, start, middle) + business_time_between(
        calendar, middle, end
    ) == business_time_between(calendar, start, end)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, at=INSTANTS)
def test_the_next_working_instant_skips_no_working_time(calendar, at):
    working = next_working_instant(calendar, at)
    tick = timedelta(microseconds=1)
    assert working >= at
    assert business_time_between(calendar, at, working) == timedelta(0)
    assert add_business_time(calendar, at, tick) == working + tick


@PROPERTY_SETTINGS
@given(
    calendar=CALENDARS,
    start=INSTANTS,
    duration=DURATIONS,
    zone=st.sampled_from([BUCHAREST, ZoneInfo("Europe/Prague"), ZoneInfo("America/New_York")]),
)
def test_the_zone_an_instant_is_written_in_does_not_matter(calendar, start, duration, zone):
    written_elsewhere = start.astimezone(zone)
    assert add_business_time(calendar, written_elsewhere, duration) == add_business_time(
        calendar, start, duration
    )
    assert next_working_instant(calendar, written_elsewhere) == next_working_instant(
        calendar, start
    )
    end = start + duration
    assert business_time_between(calendar, written_elsewhere, end.astimezone(zone)) == (
        business_time_between(calendar, start, end)
    )


@PROPERTY_SETTINGS
@given(start=INSTANTS, duration=DURATIONS)
def test_whole_wall_clock_days_every_day_behave_like_a_24_7_calendar(start, duration):
    assert add_business_time(WHOLE_WALL_CLOCK_DAYS, start, duration) == add_business_time(
        ALWAYS_OPEN, start, duration
    )
    end = start + duration
    assert business_time_between(WHOLE_WALL_CLOCK_DAYS, start, end) == duration


# A clock's running intervals: when its working time reaches a target, and how much it used.

OPEN = None

REACHING = {
    "one open interval reaches like adding business time": row(
        [("Mon 2026-01-12 16:00", OPEN)], 2 * H, "Tue 2026-01-13 09:00"
    ),
    "a pause over the weekend does not count": row(
        [("Fri 2026-01-09 16:00", "Fri 2026-01-09 16:30"), ("Mon 2026-01-12 09:00", OPEN)],
        H,
        "Mon 2026-01-12 09:30",
    ),
    "closed intervals too short never reach": row(
        [("Mon 2026-01-12 09:00", "Mon 2026-01-12 09:20")], 30 * MIN, None
    ),
    "reaching exactly when a clock pauses is not reaching": row(
        [("Mon 2026-01-12 09:00", "Mon 2026-01-12 09:30")], 30 * MIN, None
    ),
    "reached at a pause, the clock reaches again where it resumes": row(
        [("Mon 2026-01-12 09:00", "Mon 2026-01-12 09:30"), ("Tue 2026-01-13 10:00", OPEN)],
        30 * MIN,
        "Tue 2026-01-13 10:00",
    ),
    "resumed on a saturday it reaches on monday morning": row(
        [("Fri 2026-01-09 16:30", "Fri 2026-01-09 17:00"), ("Sat 2026-01-10 10:00", OPEN)],
        30 * MIN,
        "Mon 2026-01-12 08:00",
    ),
    "paused after closing, past the deadline, it was reached at closing": row(
        [("Mon 2026-01-12 16:30", "Mon 2026-01-12 17:30")], 30 * MIN, "Mon 2026-01-12 17:00"
    ),
    "a target of nothing is reached at the first working instant": row(
        [("Sat 2026-01-10 10:00", OPEN)], timedelta(0), "Mon 2026-01-12 08:00"
    ),
    "holidays between intervals do not count": row(
        [("Thu 2026-04-09 12:00", "Thu 2026-04-09 12:30"), ("Thu 2026-04-09 16:50", OPEN)],
        H,
        "Tue 2026-04-14 08:20",
    ),
}


def intervals_in(calendar: BusinessCalendar, spans) -> list[tuple[datetime, datetime | None]]:
    return [
        (local(calendar, start), None if end is OPEN else local(calendar, end))
        for start, end in spans
    ]


@pytest.mark.parametrize(("spans", "amount", "expected"), table(REACHING))
def test_the_instant_a_clock_reaches_its_target(spans, amount, expected):
    reached = instant_used_reaches(OFFICE_HOURS, intervals_in(OFFICE_HOURS, spans), amount)
    if expected is None:
        assert reached is None
    else:
        assert_same_instant(reached, bucharest(expected))


def test_a_clock_on_a_calendar_without_working_time_never_reaches():
    spans = [(datetime(2026, 1, 12, tzinfo=UTC), None)]
    assert instant_used_reaches(NO_WORKING_TIME, spans, H) is None


def test_working_time_used_counts_an_open_interval_up_to_the_instant_asked():
    spans = intervals_in(
        OFFICE_HOURS,
        [("Fri 2026-01-09 16:00", "Fri 2026-01-09 16:30"), ("Mon 2026-01-12 09:00", OPEN)],
    )
    assert working_time_used(OFFICE_HOURS, spans, bucharest("Mon 2026-01-12 10:00")) == 90 * MIN
    # Asked in the middle of the first interval: what came later does not count yet.
    assert working_time_used(OFFICE_HOURS, spans, bucharest("Fri 2026-01-09 16:10")) == 10 * MIN


SPANS = st.lists(INSTANTS, min_size=1, max_size=5, unique=True).map(sorted)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, bounds=SPANS, amount=DURATIONS)
def test_a_clock_has_used_exactly_its_target_at_the_instant_it_reaches_it(calendar, bounds, amount):
    # Bounds pair up into closed intervals; an odd last bound opens the running one.
    spans = [
        (bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None)
        for i in range(0, len(bounds), 2)
    ]
    reached = instant_used_reaches(calendar, spans, amount)
    if spans[-1][1] is OPEN:
        assert reached is not None
    if reached is not None:
        assert working_time_used(calendar, spans, reached) == amount


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, bounds=SPANS, first=DURATIONS, second=DURATIONS)
def test_a_larger_target_is_never_reached_earlier(calendar, bounds, first, second):
    spans = [
        (bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None)
        for i in range(0, len(bounds), 2)
    ]
    small, large = sorted((first, second))
    reached_small = instant_used_reaches(calendar, spans, small)
    reached_large = instant_used_reaches(calendar, spans, large)
    if reached_large is not None:
        assert reached_small is not None and reached_small <= reached_large
