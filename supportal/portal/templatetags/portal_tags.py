"""The portal's template helpers: safe plain text with links, a request's timeline, and the
navigation's count."""

from __future__ import annotations

from collections.abc import Iterable
from weakref import WeakKeyDictionary

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString

from supportal.accounts.models import User
from supportal.core import links
from supportal.tickets import timeline_html as timeline_writer
from supportal.tickets.selectors import ticket_queryset_awaiting_reply
from supportal.tickets.timeline import TimelineEntry

register = template.Library()

# The filter's text is core/links.py's (the timeline's writer uses it too).
linkify = register.filter("linkify", links.linkify, is_safe=True)


@register.simple_tag
def timeline_html(entries: Iterable[TimelineEntry], audience: str) -> SafeString:
    """A request's timeline (tickets/timeline_html.py), for "customer" or "agent"."""
    return timeline_writer.timeline_html(entries, audience=audience)


_awaiting_counts: WeakKeyDictionary[HttpRequest, int] = WeakKeyDictionary()


def awaiting_reply_count_known(request: HttpRequest, count: int) -> None:
    """The navigation's count, read by the page with its own statement (the request page:
    ``selectors.ticket_get_for_user(with_viewer_state=True)``): no query of its own."""
    _awaiting_counts[request] = count


@register.simple_tag(takes_context=True)
def awaiting_reply_count(context: template.Context) -> int:
    """How many requests wait for this customer, for the navigation (one COUNT query)."""
    request = context.get("request")
    if not isinstance(request, HttpRequest):
        return 0
    user = request.user
    if not isinstance(user, User) or user.is_agent or user.is_superuser:
        return 0
    # A page may show the count in more than one place: one query per request.
    cached = _awaiting_counts.get(request)
    if cached is None:
        cached = _awaiting_counts[request] = ticket_queryset_awaiting_reply(user).count()
    return cached
