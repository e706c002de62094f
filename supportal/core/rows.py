"""List rows built in Python from ``.values()`` (docs/performance.md, "List rows").

A list page of 50 rows rendered through the template language costs a context lookup, a filter
call and an escape for every cell; reading model instances costs a constructor per joined
table per row. The queue and the portal's lists instead read plain values, in the columns
their rows show, and write each row's HTML here with ``format_html`` (every value escaped).
These helpers give the same text the templates gave: a name in the reader's language, a
person's name, a local date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext
from modeltranslation.utils import get_language

from supportal.core.names import fallback_order, name_columns

__all__ = [
    "RowFormat",
    "name_columns",
    "name_of",
    "person_columns",
    "person_name",
    "url_maker",
]

_URL_PLACEHOLDER = "0row0"


def name_of(row: Mapping[str, Any], path: str, *, language: str | None = None) -> str:
    """The name at ``path`` ("priority__name") of a row read with ``name_columns(path)``, in
    the reader's language (``language``, when the caller looked it up once per list), else
    the site's, else any filled one: what ``instance.name`` gives through
    django-modeltranslation (``core/names.py``). "" when the relation is empty."""
    own = row.get(f"{path}_{language or get_language()}")
    if own:
        return own
    for code in fallback_order():
        value = row.get(f"{path}_{code}")
        if value:
            return value
    return row.get(path) or ""


def person_name(row: Mapping[str, Any], path: str) -> str:
    """``str(user)`` for the user at ``path`` ("requester") of a row read with its e-mail,
    first and last name: the full name, or the e-mail. "" when the relation is empty."""
    full = f"{row.get(f'{path}__first_name') or ''} {row.get(f'{path}__last_name') or ''}".strip()
    return full or row.get(f"{path}__email") or ""


def person_columns(path: str) -> tuple[str, ...]:
    return (f"{path}__email", f"{path}__first_name", f"{path}__last_name")


def url_maker(viewname: str) -> Any:
    """A function of one argument giving ``reverse(viewname, args=[value])``: the pattern is
    reversed once, the value quoted into it as ``reverse`` quotes it."""
    pattern = reverse(viewname, args=[_URL_PLACEHOLDER])
    before, _sep, after = pattern.partition(_URL_PLACEHOLDER)
    safe = RFC3986_SUBDELIMS + "/~:@"
    return lambda value: f"{before}{quote(str(value), safe=safe)}{after}"


def _format_pieces(format_string: str) -> tuple[tuple[str, str], ...]:
    """A date format split as ``dateformat.format`` splits it on every call: (a format
    character, "") or ("", literal text), in order."""
    pieces = []
    for index, piece in enumerate(dateformat.re_formatchars.split(format_string)):
        if index % 2:
            pieces.append((piece, ""))
        elif piece:
            pieces.append(("", dateformat.re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


def _twelve_hours(value: dt.datetime, am: str, pm: str) -> str:
    """``DateFormat.P`` with its words translated once: "1 a.m.", "1:30 p.m."."""
    hour, minute = value.hour, value.minute
    clock = f"{hour % 12 or 12}:{minute:02d}" if minute else str(hour % 12 or 12)
    return f"{clock} {pm if hour > 11 else am}"


# The format characters of the languages' short dates, each written as ``DateFormat``'s method
# writes it (``test_rows.py`` compares every one with ``date_format``).
_SIMPLE_WRITERS: dict[str, Callable[[dt.datetime], str]] = {
    "d": lambda value: f"{value.day:02d}",
    "j": lambda value: str(value.day),
    "m": lambda value: f"{value.month:02d}",
    "n": lambda value: str(value.month),
    "Y": lambda value: f"{value.year:04d}",
    "y": lambda value: f"{value.year % 100:02d}",
    "H": lambda value: f"{value.hour:02d}",
    "G": lambda value: str(value.hour),
    "i": lambda value: f"{value.minute:02d}",
    "s": lambda value: f"{value.second:02d}",
}


def _piece_writers(
    pieces: tuple[tuple[str, str], ...],
) -> tuple[Callable[[dt.datetime], str], ...] | None:
    """One function per piece of a date format, when every character is one the short dates
    use (None otherwise: then each is written by ``DateFormat``)."""
    writers: list[Callable[[dt.datetime], str]] = []
    for char, text in pieces:
        if not char:
            writers.append(_literal(text))
        elif char in _SIMPLE_WRITERS:
            writers.append(_SIMPLE_WRITERS[char])
        elif char == "P":
            writers.append(_p_writer())
        else:
            return None
    return tuple(writers)


def _literal(text: str) -> Callable[[dt.datetime], str]:
    return lambda _value: text


def _p_writer() -> Callable[[dt.datetime], str]:
    """``DateFormat.P`` ("1:30 p.m.", "midnight", "noon"), its words translated once."""
    am, pm = gettext("a.m."), gettext("p.m.")
    midnight, noon = gettext("midnight"), gettext("noon")

    def write(value: dt.datetime) -> str:
        if value.minute == 0 and value.hour in (0, 12):
            return midnight if value.hour == 0 else noon
        return _twelve_hours(value, am, pm)

    return write


class _KeptString:
    """One of humanize's lazy strings, translated once per list for each value put in it:
    50 rows resolved the same plural forms again and again."""

    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy
        self.written: dict[tuple[tuple[str, Any], ...], str] = {}

    def __mod__(self, values: dict[str, Any]) -> str:
        key = tuple(sorted(values.items()))
        text = self.written.get(key)
        if text is None:
            text = self.written[key] = self.lazy % values
        return text

    def __str__(self) -> str:
        return str(self.lazy)


def _kept_strings(strings: dict[str, Any]) -> dict[str, Any]:
    # Typed as humanize's own (str values): a _KeptString is used where they are.
    return {name: _KeptString(lazy) for name, lazy in strings.items()}


def _natural_time_writer() -> type[NaturalTimeFormatter]:
    """humanize's ``naturaltime``, its strings kept for one list (one language)."""

    class KeptNaturalTime(NaturalTimeFormatter):
        time_strings = _kept_strings(NaturalTimeFormatter.time_strings)
        past_substrings = _kept_strings(NaturalTimeFormatter.past_substrings)
        future_substrings = _kept_strings(NaturalTimeFormatter.future_substrings)

    return KeptNaturalTime


def _date_writer() -> type[dateformat.DateFormat]:
    """``DateFormat`` with its "a.m." and "p.m." translated once per list (one language): the
    English short format writes one in every date (``P``), through the translation machinery
    each time (docs/performance.md, "Eighth round: the agent queue")."""
    am, pm, upper_am, upper_pm = gettext("a.m."), gettext("p.m."), gettext("AM"), gettext("PM")

    class KeptDateFormat(dateformat.DateFormat):
        def a(self) -> str:
            return pm if self._hour() > 11 else am

        def A(self) -> str:
            return upper_pm if self._hour() > 11 else upper_am

        def _hour(self) -> int:
            data: Any = self.data  # a datetime here (DateFormat's own "a" reads its hour)
            return data.hour

    return KeptDateFormat


class RowFormat:
    """Dates as the templates' ``date`` and ``naturaltime`` filters write them, in the active
    time zone and language; the format strings are looked up and split once per list, not
    per row (docs/performance.md, "Seventh round: the agent queue")."""

    def __init__(self) -> None:
        self.short_datetime = formats.get_format("SHORT_DATETIME_FORMAT")
        self.natural_time = _natural_time_writer()
        self.date_writer = _date_writer()
        # The active zone looked up once per list, not three times per row (docs/performance.md,
        # "Ninth round: the agent queue and search results").
        self.zone = timezone.get_current_timezone()
        self.short_pieces = _format_pieces(str(self.short_datetime))

    @property
    def short_pieces(self) -> tuple[tuple[str, str], ...]:
        return self._short_pieces

    @short_pieces.setter
    def short_pieces(self, pieces: tuple[tuple[str, str], ...]) -> None:
        self._short_pieces = pieces
        self.short_writers = _piece_writers(pieces)

    def local(self, value: dt.datetime) -> dt.datetime:
        """``timezone.localtime(value)`` for an aware moment (the naive as it is)."""
        return value.astimezone(self.zone) if value.utcoffset() is not None else value

    def iso(self, value: dt.datetime) -> str:
        return self.local(value).isoformat()

    def short(self, value: dt.datetime) -> str:
        """``formats.date_format(value, SHORT_DATETIME_FORMAT)``, each piece written by the
        same ``DateFormat`` method."""
        local = self.local(value)
        writers = self.short_writers
        if writers is not None:
            return "".join([write(local) for write in writers])
        written = self.date_writer(local)
        return "".join(
            str(getattr(written, char)()) if char else text for char, text in self.short_pieces
        )

    def natural(self, value: dt.datetime) -> str:
        """``naturaltime(value)``, each translated piece resolved once per list."""
        return str(self.natural_time.string_for(self.local(value)))
