"""``{{ people|person_options }}``: a menu's ``<option>`` per person, written without a
template node per option.

The request page's "Share with a colleague" menu and the ticket page's hold up to a hundred
people each (``core/paging.py`` ``picker_choices``); the engine walked five nodes per person
(docs/performance.md, "Eighth round"). The markup is the one the templates wrote,
``<option value="{{ person.pk }}">{{ person }} ({{ person.email }})</option>``, each name and
address escaped as the engine escapes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from supportal.core.widgets import option_tags

register = template.Library()


@register.filter
def person_options(people: Iterable[Any]) -> SafeString:
    """People (users): their id, their name and address."""
    return option_tags((person.pk, f"{person} ({person.email})") for person in people)
