"""Template filters of the SLA panel."""

from __future__ import annotations

import datetime as dt

from django import template

from supportal.sla.selectors import duration_text

register = template.Library()


@register.filter
def working_duration(value: dt.timedelta | None) -> str:
    """Working time to the minute: "1 h 28 min"; empty for None."""
    return "" if value is None else duration_text(value)
