"""``file_size`` and ``weekday_after_from`` for templates (supportal/core/formats.py)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from supportal.core import formats

register = template.Library()


@register.filter
def file_size(value: object) -> str:
    return formats.file_size(value)


@register.filter
def weekday_after_from(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.weekday_after_from(value)


@register.filter
def weekday_time_after_from(value: dt.datetime | None) -> str:
    """ "středy 08:00" in Czech, "Wednesday 08:00" in English: the instant after "from"."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{formats.weekday_after_from(value)} {value:%H:%M}"
