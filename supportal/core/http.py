"""Small helpers shared by the web interfaces (portal and workspace)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from supportal.core.errors import DomainError, NotFound


def refusals_as_messages(
    page: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A refused action comes back to ``page`` (a URL name taking the view's keyword
    arguments), with the reason shown.

    NotFound stays a 404, so a page one may not see looks exactly like one that does not exist.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except DomainError as exc:
                messages.error(request, exc.message)
                target_kwargs = {k: v for k, v in kwargs.items() if k == "reference"}
                return redirect(reverse(page, kwargs=target_kwargs))

        return wrapper

    return decorate


ROW_ID_MAX = 2**31 - 1


def row_id(value: str) -> int | None:
    """A row's id typed into a form or a query string, or None: only ASCII digits within the
    database's integer range ("²" is a digit to str.isdigit() but not to int(); 10**20 overflows
    PostgreSQL's integer) — docs/security.md, "Bad input"."""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= ROW_ID_MAX else None


def signed_in_and(
    test: Callable[[Any], bool],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for some signed-in people only. Someone not signed in is sent to log in; someone
    signed in whom ``test`` refuses gets the 403 page. (``user_passes_test`` sent them to the
    log-in page, which sends a signed-in person back to ``next``: a redirect loop —
    docs/security.md, "Pages".)"""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
