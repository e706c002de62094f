"""NUL bytes, lone surrogates and over-long values — in the path, any query parameter, any form
field and the headers we read — never give HTTP 500, on any URL of the site.

Every URL pattern is walked with real objects of a seeded cast, as a user who may open it; the
field names posted are those its page shows plus those the views read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import NoReverseMatch

from supportal.core.tests.urlworld import Pattern, SignedIn, UrlWorld, url_patterns

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

NUL = "a\x00b"
LONG = "x" * 100_000
# A lone surrogate as a browser or a script would put it on the wire: the UTF-8 form of U+D800,
# which is no valid UTF-8.
SURROGATE_WIRE = "%ED%A0%80"
# Digits to str.isdigit() but no row's id: a superscript two, and more than an integer column holds.
DIGITS_BUT_NO_ID = ("\u00b2", "9" * 20)

# The parameters and fields the views read from request.GET / request.POST by name.
READ_BY_VIEWS = [
    "q", "page", "next", "status", "desk", "queue", "view", "sort", "state", "scope", "kind",
    "format", "download", "email", "token", "user", "assignee", "visibility", "typing", "ticket",
    "seen_event_id", "resolution", "priority", "pending", "part", "params", "operation",
    "newsletter", "name", "mute", "language", "is_active", "intent", "decision", "comment",
    "canned", "body", "action", "o", "p", "password", "username",
]  # fmt: skip
HEADERS = ["HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR", "HTTP_REFERER"]

PATTERNS = url_patterns()


def _reaching_client(world: UrlWorld, url: str, signed_in: SignedIn) -> tuple[Client, Response]:
    """A client signed in as the first of the cast who may open the page (else anonymous), and
    the page as that client got it."""
    cast = world.cast
    for user in (cast.lead_help, cast.admin, cast.cristina_admin, cast.cristina, None):
        client = signed_in(user)
        page = client.get(url)
        if page.status_code not in (302, 403, 404):
            break
    return client, page


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'\bname="([^"]+)"', html)) - {"csrfmiddlewaretoken"}
    return sorted(names | set(READ_BY_VIEWS))


def _refused(response, what: str) -> None:
    assert response.status_code == 400, what
    assert "could not be read" in response.content.decode(), what


def _not_500(response, what: str) -> None:
    assert response.status_code != 500, what


def _walk(client: Client, url: str, fields: list[str]) -> None:
    _refused(client.get(url, {name: NUL for name in fields}), f"GET {url} with NUL parameters")
    _refused(client.get(url, {"q": LONG[:2001]}), f"GET {url} with an over-long parameter")
    _refused(client.post(url, {name: NUL for name in fields}), f"POST {url} with NUL fields")
    # Under the limits: the view itself must cope (a form error, a 404, a redirect).
    _not_500(client.get(url, {name: LONG[:300] for name in fields}), f"GET {url} long values")
    # The administration site's own multiple-choice fields look a 20-digit id up as given
    # (Django's code, staff only): its pages are walked with the other values.
    for number in DIGITS_BUT_NO_ID if not url.startswith("/admin/") else ():
        _not_500(client.get(url, {name: number for name in fields}), f"GET {url} {number}")
        _not_500(client.post(url, {name: number for name in fields}), f"POST {url} {number}")
    _not_500(client.post(url, {name: LONG[:5000] for name in fields}), f"POST {url} long fields")
    surrogates = "&".join(f"{quote(name)}=a{SURROGATE_WIRE}b" for name in fields)
    _not_500(client.get(f"{url}?{surrogates}"), f"GET {url} with lone surrogates")
    _not_500(
        client.post(url, surrogates, content_type="application/x-www-form-urlencoded"),
        f"POST {url} with lone surrogates",
    )


@pytest.mark.parametrize("pattern", PATTERNS, ids=str)
def test_hostile_values_never_give_a_server_error(world, signed_in, pattern: Pattern):
    url = world.url(pattern)
    client, page = _reaching_client(world, url, signed_in)
    is_page = page.status_code == 200 and not page.streaming
    html = page.content.decode(errors="replace") if is_page else ""
    _walk(client, url, _field_names(html))
    for argument in pattern.string_arguments:
        for value in (NUL, "\udc80", LONG[:3000]):
            try:
                hostile = world.url(pattern, **{argument: value})
            except (NoReverseMatch, UnicodeEncodeError):
                continue  # the pattern itself refuses such a value: nothing to reach
            _not_500(client.get(hostile), f"GET {hostile[:200]!r}")
            _not_500(client.post(hostile, {"body": "x"}), f"POST {hostile[:200]!r}")


@pytest.mark.parametrize("header", HEADERS)
def test_hostile_headers_are_refused_before_any_view(world, signed_in, header):
    cast = world.cast
    for user, url in ((None, "/login/"), (cast.cristina, "/"), (cast.agent_help, "/agent/")):
        client = signed_in(user)
        _refused(client.get(url, **{header: NUL}), f"{header} NUL on {url}")
        _refused(client.get(url, **{header: LONG[:8001]}), f"{header} long on {url}")
        _not_500(client.get(url, **{header: LONG[:500]}), f"{header} 500 chars on {url}")
    _refused(Client().get("/login/", HTTP_COOKIE="sessionid=a\x00b"), "a NUL session cookie")


def test_a_comment_with_a_nul_byte_is_refused_and_the_text_is_kept(world, signed_in):
    client = signed_in(world.cast.agent_help)
    url = f"/agent/tickets/{world.ticket.reference}/comment/"
    text = "Dear Cristina,\nthe driver is attached.\x00 Regards"
    response = client.post(url, {"body": text, "visibility": "public"})
    _refused(response, url)
    assert "the driver is attached. Regards" in response.content.decode()
    assert not world.ticket.comments.filter(body__contains="driver is attached").exists()
