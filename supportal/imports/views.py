"""Old links keep working: the customer-portal addresses of the system imported from lead to
the imported request (docs/import.md#old-links)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from supportal.imports.models import ImportedKind, ImportedObject
from supportal.imports.sources.django_helpdesk import OLD_LINK_PREFIX as HELPDESK_OLD_LINK_PREFIX
from supportal.imports.sources.django_helpdesk import SOURCE_PREFIX as HELPDESK_SOURCE_PREFIX
from supportal.tickets.selectors import ticket_queryset_for_user

_HELPDESK_TICKET = re.compile(r"^[A-Za-z0-9_-]*?-?(\d+)$")
_DESTINATION = re.compile(r"^/?portal/(\d+)/([A-Za-z][A-Za-z0-9]*-\d+)/?$")


@require_GET
def old_request_link(request: HttpRequest, portal: int, reference: str) -> HttpResponse:
    """``/servicedesk/customer/portal/<n>/<KEY>-<n>``: the request imported under that old
    reference, on the portal (customers) or in the workspace (agents). Someone logged out
    logs in first and comes back here; a request they may not see is not found, as on the
    request page itself."""
    return _imported_request(
        request,
        ImportedObject.objects.filter(kind=ImportedKind.REFERENCE, source_id=reference.upper()),
    )


def _imported_request(request: HttpRequest, rows: QuerySet[ImportedObject]) -> HttpResponse:
    """The request the newest of ``rows`` stands for, on the portal (customers) or in the
    workspace (agents); log in first, and "not found" for a request one may not see."""
    if not request.user.is_authenticated:
        login = reverse("login")
        return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
    row = rows.order_by("-pk").first()
    visible = ticket_queryset_for_user(request.user)
    new_reference = (
        visible.filter(pk=row.object_id).values_list("reference", flat=True).first()
        if row is not None
        else None
    )
    if new_reference is None:
        raise Http404
    if request.user.is_agent or request.user.is_superuser:
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


def _helpdesk_request(request: HttpRequest, ticket_id: str) -> HttpResponse:
    return _imported_request(
        request,
        ImportedObject.objects.filter(
            kind=ImportedKind.REFERENCE,
            source__startswith=HELPDESK_SOURCE_PREFIX,
            source_id=f"{HELPDESK_OLD_LINK_PREFIX}{ticket_id}",
        ),
    )


@require_GET
def old_helpdesk_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """django-helpdesk's staff link ``/helpdesk/tickets/<id>/``: the request imported from
    that ticket (its ids are unique across its queues)."""
    return _helpdesk_request(request, str(ticket_id))


@require_GET
def old_helpdesk_public(request: HttpRequest) -> HttpResponse:
    """django-helpdesk's link in its mails, ``/helpdesk/view/?ticket=<queue>-<id>&email=…&
    key=…``: the request imported from ticket ``<id>``; the old key is not needed here (one
    logs in instead)."""
    match = _HELPDESK_TICKET.match(request.GET.get("ticket", "").strip())
    if match is None:  # log in first, as for any other old link; then not found
        return _imported_request(request, ImportedObject.objects.none())
    return _helpdesk_request(request, match.group(1))


# osTicket's ids in its links are digits; anything else names no imported request.
_DIGITS = re.compile(r"^\d{1,18}$")


def _osticket_rows(kind: ImportedKind, value: str) -> QuerySet[ImportedObject]:
    if not _DIGITS.match(value or ""):
        return ImportedObject.objects.none()  # log in first, as for any old link; not found
    return ImportedObject.objects.filter(
        kind=kind, source__startswith="osticket:", source_id=str(int(value))
    )


@require_GET
def old_osticket_ticket_link(request: HttpRequest) -> HttpResponse:
    """osTicket's ``/tickets.php?id=<ticket id>`` (client portal) and ``/scp/tickets.php?id=``
    (staff panel): the request imported from that ticket, as the old portal links."""
    return _imported_request(
        request, _osticket_rows(ImportedKind.REQUEST, request.GET.get("id", ""))
    )


@require_GET
def old_osticket_view_link(request: HttpRequest) -> HttpResponse:
    """osTicket's ``/view.php?t=<ticket number>&e=<address>`` of its mails: the request
    imported under that number. The address (or an ``auth`` token) is not trusted: the
    visitor logs in here and sees the request only if it is theirs."""
    return _imported_request(
        request, _osticket_rows(ImportedKind.REFERENCE, request.GET.get("t", ""))
    )
