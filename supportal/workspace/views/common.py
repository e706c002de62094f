"""Helpers shared by the workspace's views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import user_passes_test
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.tickets import selectors
from supportal.tickets.models import Ticket


def is_support(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_agent or user.is_superuser)


def agent_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Agents only. Someone not logged in is sent to log in; a logged-in customer gets a page
    saying the workspace is for the support team (403) — sending them to the log-in page, which
    sends a logged-in person on to ``next``, looped forever (docs/security.md, Pages)."""
    login_first = user_passes_test(lambda user: user.is_authenticated)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated and not is_support(request.user):
            return render(request, "workspace/not_for_customers.html", status=403)
        return login_first(view)(request, *args, **kwargs)

    return wrapper


def ticket_or_404(
    request: AuthenticatedHttpRequest, reference: str, *, with_names: bool = True
) -> Ticket:
    try:
        return selectors.ticket_get_for_user(request.user, reference, with_names=with_names)
    except NotFound as exc:
        raise Http404(exc.message) from exc


FRAGMENT_HEADER = "X-Requested-With"
FRAGMENT_VALUE = "fetch"


def wants_fragment(request: HttpRequest) -> bool:
    """The page's script asks for the changed parts only (``X-Requested-With: fetch``)."""
    return request.headers.get(FRAGMENT_HEADER) == FRAGMENT_VALUE


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of a form when it stays on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: redirect() would take any other text for the name of a view.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
