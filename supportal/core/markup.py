"""What the template engine writes for ``{{ value }}`` and a ``<time>`` element, for HTML
written in Python (the timeline, the SLA panel: docs/performance.md, "Ninth round: the request
page and the ticket page"). The same steps as django.template.base.render_value_in_context
with autoescaping on: the active time zone, the language's formats, then ``conditional_escape``.
"""

from __future__ import annotations

import datetime as dt

from django.template.defaultfilters import date as date_filter
from django.utils import dateformat, formats
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]


def value_html(value: object) -> str:
    """``{{ value }}``: escaped unless marked safe, localized like the template engine."""
    value = template_localtime(value)
    value = formats.localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def time_html(moment: object) -> str:
    """The ``<time>`` of ``moment`` as the templates wrote it: ``datetime`` with ``date:'c'``,
    the text with ``date:"SHORT_DATETIME_FORMAT"``. For a datetime, the date filter's own steps
    without its lookups: ``c`` is ``isoformat()``, the language's format is read once."""
    local = template_localtime(moment)
    if isinstance(local, dt.datetime):
        iso = local.isoformat()
        text = dateformat.format(local, formats.get_format("SHORT_DATETIME_FORMAT"))
    else:
        iso = date_filter(local, "c")
        text = date_filter(local, "SHORT_DATETIME_FORMAT")
    return f'<time datetime="{value_html(iso)}">{value_html(text)}</time>'
