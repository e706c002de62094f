"""The portal's template helpers: safe plain text with links, and the navigation's count."""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from django import template
from django.http import HttpRequest
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from supportal.accounts.models import User
from supportal.tickets.selectors import ticket_queryset_awaiting_reply

register = template.Library()

# Only http and https: javascript:, data: and friends are never made into links. Quotes and
# angle brackets end a link, so nothing typed can break out of the href attribute.
_URL = re.compile(r"(https?://[^\s<>\"'`]+)", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _split_trailing(url: str) -> tuple[str, str]:
    """ "see https://x.ro/a)." links https://x.ro/a and leaves ")." as text (unless balanced)."""
    tail = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


@register.filter(is_safe=True)
def linkify(text: str | None) -> SafeString:
    """Plain text as HTML: everything escaped, http(s) addresses made into links that open
    without access to this page (rel="noopener nofollow"). Line breaks are kept by the
    stylesheet (white-space: pre-wrap)."""
    pieces: list[str] = []
    for index, piece in enumerate(_URL.split(text or "")):
        if index % 2 == 0:
            pieces.append(escape(piece))
            continue
        url, tail = _split_trailing(piece)
        if len(url) <= len("https://"):
            pieces.append(escape(piece))
            continue
        pieces.append(
            format_html(
                '<a href="{}" rel="noopener nofollow noreferrer" target="_blank">{}</a>{}',
                url,
                url,
                tail,
            )
        )
    return mark_safe("".join(pieces))  # noqa: S308 - every piece above is escaped


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
