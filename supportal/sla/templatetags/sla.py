"""Template filters and the tag of the SLA panel."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from supportal.sla.panel_html import sla_panel_html
from supportal.sla.selectors import SlaPanel, duration_text

register = template.Library()


@register.filter
def working_duration(value: dt.timedelta | None) -> str:
    """Working time to the minute: "1 h 28 min"; empty for None."""
    return "" if value is None else duration_text(value)


@register.simple_tag
def sla_panel(sla: SlaPanel | None) -> SafeString:
    """The SLA panel of a request (sla/panel_html.py)."""
    return sla_panel_html(sla)
