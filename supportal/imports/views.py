"""Old links keep working: the customer-portal addresses of the system imported from lead to
the imported request (docs/import.md#old-links)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from supportal.accounts.models import User
from supportal.imports.models import ImportedKind, ImportedObject
from supportal.tickets.selectors import ticket_queryset_for_user

_DESTINATION = re.compile(r"^/?portal/(\d+)/([A-Za-z][A-Za-z0-9]*-\d+)/?$")


@require_GET
def old_request_link(request: HttpRequest, portal: int, reference: str) -> HttpResponse:
    """``/servicedesk/customer/portal/<n>/<KEY>-<n>``: the request imported under that old
    reference, on the portal (customers) or in the workspace (agents). Someone logged out
    logs in first and comes back here; a request they may not see is not found, as on the
    request page itself."""
    if not request.user.is_authenticated:
        return _login_first(request)
    row = (
        ImportedObject.objects.filter(kind=ImportedKind.REFERENCE, source_id=reference.upper())
        .order_by("-pk")
        .first()
    )
    return _to_request(request, row)


def _login_first(request: HttpRequest) -> HttpResponse:
    login = reverse("login")
    return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")


def _to_request(request: HttpRequest, row: ImportedObject | None) -> HttpResponse:
    """The imported request ``row`` stands for, where the visitor reads requests; not found
    when there is none or they may not see it."""
    user = request.user
    if not isinstance(user, User):  # the callers sent those logged out to log in
        return _login_first(request)
    visible = ticket_queryset_for_user(user)
    new_reference = (
        visible.filter(pk=row.object_id).values_list("reference", flat=True).first()
        if row is not None
        else None
    )
    if new_reference is None:
        raise Http404
    if user.is_agent or user.is_superuser:
        return redirect("workspace:ticket", reference=new_reference)
    return redirect("portal:request", reference=new_reference)


@require_GET
def old_login_link(request: HttpRequest) -> HttpResponse:
    """``/servicedesk/customer/user/login?destination=portal/1/HELP-161``: the old log-in
    link of a mail; to the request it names, else to the log-in page."""
    match = _DESTINATION.match(request.GET.get("destination", ""))
    if match is None:
        return redirect("login")
    return redirect(
        "imports:old_request", portal=int(match.group(1)), reference=match.group(2).upper()
    )


# osTicket's ids in its links are digits; anything else names no imported request.
_DIGITS = re.compile(r"^\d{1,18}$")


def _osticket_row(kind: ImportedKind, value: str) -> ImportedObject | None:
    if not _DIGITS.match(value or ""):
        return None
    return (
        ImportedObject.objects.filter(
            kind=kind, source__startswith="osticket:", source_id=str(int(value))
        )
        .order_by("-pk")
        .first()
    )


@require_GET
def old_osticket_ticket_link(request: HttpRequest) -> HttpResponse:
    """osTicket's ``/tickets.php?id=<ticket id>`` (client portal) and ``/scp/tickets.php?id=``
    (staff panel): the request imported from that ticket, as the old portal links."""
    if not request.user.is_authenticated:
        return _login_first(request)
    return _to_request(request, _osticket_row(ImportedKind.REQUEST, request.GET.get("id", "")))


@require_GET
def old_osticket_view_link(request: HttpRequest) -> HttpResponse:
    """osTicket's ``/view.php?t=<ticket number>&e=<address>`` of its mails: the request
    imported under that number. The address (or an ``auth`` token) is not trusted: the
    visitor logs in here and sees the request only if it is theirs."""
    if not request.user.is_authenticated:
        return _login_first(request)
    return _to_request(request, _osticket_row(ImportedKind.REFERENCE, request.GET.get("t", "")))
