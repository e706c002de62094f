"""The support footer of the portal: working hours, the emergency line, "currently closed"."""

from __future__ import annotations

from django import template
from django.core.cache import cache
from django.utils import timezone, translation

from supportal.company import selectors

register = template.Library()

# Every portal page shows the footer; a minute-long cache keeps it from costing queries on
# each page. "Closed" may lag by up to a minute, which is harmless. One key that expires, not
# one key per clock minute: a page's cost must not depend on which minute it is served in.
FOOTER_CACHE_SECONDS = 60
# One per language: the working hours and the emergency note are typed in each
# (docs/languages.md#names).
FOOTER_CACHE_KEY = "company:support_hours:{language}"


@register.inclusion_tag("company/_footer.html")
def support_footer() -> dict:
    key = FOOTER_CACHE_KEY.format(language=translation.get_language() or "")
    hours = cache.get(key)
    if hours is None:
        hours = selectors.support_hours(now=timezone.now())
        cache.set(key, hours, FOOTER_CACHE_SECONDS)
    return {"hours": hours}


@register.simple_tag
def support_line_missing() -> bool:
    """A fresh install: nobody has told customers how to reach support yet (workspace banner)."""
    from supportal.company.services import support_line_is_set

    return not support_line_is_set()
