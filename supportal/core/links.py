"""Plain text from people as HTML with its web addresses made into links (``linkify``): the
portal's filter and the timeline's writer (tickets/timeline_html.py). Pure."""

from __future__ import annotations

import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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
