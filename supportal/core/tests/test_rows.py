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
