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
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def person_options(people: Iterable[Any]) -> SafeString:
    """People (users): their id, their name and address."""
    return mark_safe(  # noqa: S308 - the name and the address are escaped
        "".join(
            f'<option value="{int(person.pk)}">{conditional_escape(str(person))}'
            f" ({conditional_escape(person.email)})</option>"
            for person in people
        )
    )
