"""List rows' dates (core/rows.py) read as the templates' filters write them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation

from supportal.core.rows import RowFormat, _format_pieces

INSTANTS = [
    dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC),  # midnight in UTC, 02:00 in Bucharest
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # just before the clocks go forward
    dt.datetime(2026, 3, 29, 1, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # the hour that happens twice
    dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC),  # noon in Bucharest
    dt.datetime(2026, 12, 3, 21, 45, 7, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 7, 4, 9, 5),  # naive
]


@pytest.mark.parametrize("language", ["en", "ro", "cs"])
@pytest.mark.parametrize("zone", ["Europe/Bucharest", "UTC", "America/New_York"])
def test_short_dates_are_what_date_format_writes_in_every_language(language, zone):
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        rows = RowFormat()
        for instant in INSTANTS:
            local = timezone.localtime(instant) if timezone.is_aware(instant) else instant
            expected = formats.date_format(local, "SHORT_DATETIME_FORMAT")
            assert rows.short(instant) == expected


def test_a_format_with_escaped_letters_is_split_as_django_splits_it():
    with translation.override("en"):
        rows = RowFormat()
        rows.short_pieces = _format_pieces(r"\d\a\y j \o\f F, H:i")
        instant = dt.datetime(2026, 5, 7, 8, 9, tzinfo=dt.UTC)
        local = timezone.localtime(instant)
        assert rows.short(instant) == formats.date_format(local, r"\d\a\y j \o\f F, H:i")


@pytest.mark.parametrize("language", ["en", "ro", "cs"])
def test_morning_and_afternoon_are_written_as_date_format_writes_them(language):
    # "a" and "A" (and "P", which writes "a") are translated once per list, not per date.
    with translation.override(language):
        rows = RowFormat()
        rows.short_pieces = _format_pieces("a A P")
        for hour, minute in ((0, 0), (0, 5), (11, 59), (12, 0), (12, 1), (23, 30)):
            instant = dt.datetime(2026, 5, 7, hour, minute, tzinfo=timezone.get_current_timezone())
            assert rows.short(instant) == formats.date_format(instant, "a A P")


@pytest.mark.parametrize("language", ["en", "ro", "cs"])
@pytest.mark.parametrize("zone", ["Europe/Bucharest", "America/New_York"])
def test_the_characters_written_without_dateformat_are_what_date_format_writes(language, zone):
    # Digits and "P" are written by functions of their own; any other letter by DateFormat.
    written = r"d j m n Y y H G i s P, \a\t G"
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        rows = RowFormat()
        rows.short_pieces = _format_pieces(written)
        assert rows.short_writers is not None
        moments = [*INSTANTS, dt.datetime(33, 2, 3, 4, 5, 6, tzinfo=dt.UTC)]
        moments += [
            dt.datetime(2026, 5, 7, hour, minute, tzinfo=timezone.get_current_timezone())
            for hour, minute in ((0, 0), (0, 5), (11, 59), (12, 0), (12, 1), (23, 30))
        ]
        for instant in moments:
            local = timezone.localtime(instant) if timezone.is_aware(instant) else instant
            assert rows.short(instant) == formats.date_format(local, written)


class _FixedNow(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        fixed = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)
        return fixed if tz else fixed.replace(tzinfo=None)


@pytest.mark.parametrize("language", ["en", "ro", "cs"])
def test_natural_times_are_what_naturaltime_writes_in_every_language(language, monkeypatch):
    from django.contrib.humanize.templatetags import humanize

    monkeypatch.setattr(humanize, "datetime", _FixedNow)
    now = _FixedNow.now(dt.UTC)
    steps = [0, 1, 5, 59, 60, 61, 119, 3599, 3600, 7261, 86399, 86400, 90000, 6 * 86400]
    steps += [13 * 86400 + 7200, 40 * 86400, 400 * 86400, 3 * 365 * 86400 + 5 * 86400]
    with translation.override(language):
        rows = RowFormat()  # one list: the kept translations are reused from row to row
        for seconds in steps * 2:
            for instant in (
                now - dt.timedelta(seconds=seconds),
                now + dt.timedelta(seconds=seconds),
            ):
                local = timezone.localtime(instant)
                assert rows.natural(instant) == str(humanize.naturaltime(local))
