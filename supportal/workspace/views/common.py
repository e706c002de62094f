"""Helpers shared by the workspace's views."""

from __future__ import annotations

from django.contrib.auth.decorators import user_passes_test
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.tickets import selectors
from supportal.tickets.models import Ticket


def is_support(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_agent or user.is_superuser)


agent_required = user_passes_test(is_support)


def ticket_or_404(request: AuthenticatedHttpRequest, reference: str) -> Ticket:
    try:
        return selectors.ticket_get_for_user(request.user, reference)
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
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
