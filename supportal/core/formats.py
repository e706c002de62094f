"""Sizes and weekdays as each language writes them (docs/languages.md). Pure."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation
from django.utils.translation import ngettext

# One form in every language: the international symbols (kB, MB, GB), which Romanian and Czech
# software use too, with the language's decimal comma and thousands separator.
_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024))

# Czech puts a weekday after "od" (from) in the genitive: "od středy", not "od středa".
_CZECH_GENITIVE = ("pondělí", "úterý", "středy", "čtvrtka", "pátku", "soboty", "neděle")


def file_size(value: object) -> str:
    """``1536000`` → "1.5 MB" (en), "1,5 MB" (ro, cs); ``8000`` bytes → "7.8 kB"."""
    try:
        size = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    for unit, factor in _UNITS:
        if size >= factor:
            number = formats.number_format(round(size / factor, 1), 1, use_l10n=True)
            return f"{number.removesuffix(',0').removesuffix('.0')}\u00a0{unit}"
    count = formats.number_format(size, 0, use_l10n=True, force_grouping=True)
    # Czech and Romanian have more than two plural forms: ngettext picks the right one.
    return ngettext("%(count)s byte", "%(count)s bytes", size) % {"count": count}


def weekday_after_from(moment: dt.datetime | dt.date) -> str:
    """The weekday as it reads after "from" in the active language ("středy" in Czech)."""
    if translation.get_language() == "cs":
        return _CZECH_GENITIVE[moment.weekday()]
    return formats.date_format(moment, "l")


# Excel opens a CSV file as UTF-8 only after a byte-order mark.
CSV_BYTE_ORDER_MARK = "\ufeff"


def csv_delimiter() -> str:
    """The column separator Excel expects in the active language: ";" where the decimal
    separator is a comma (Romanian, Czech), "," elsewhere (docs/languages.md)."""
    return ";" if formats.get_format("DECIMAL_SEPARATOR") == "," else ","
