"""The requests list and its "Awaiting your reply" tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core.paging import CappedPaginator, keyset_of
from supportal.desks.models import Product, RequestType
from supportal.portal.forms import SORT_FIELDS, RequestFilterForm
from supportal.portal.list_rows import LIST_VALUES, list_rows
from supportal.search.selectors import ticket_search
from supportal.tickets import selectors, workflow
from supportal.tickets.models import Participant, Ticket

LIST_PAGE_SIZE = 25


def _sees_colleagues(user: User) -> bool:
    """Whether "Anyone in my company" can show more than the user's own requests."""
    if user.organization_id is None:
        return False
    if user.is_customer_admin:
        return True
    company_shares, shared_products = selectors.company_sharing(user)
    return company_shares or bool(shared_products)


def _ordering(sort: str, *, has_query: bool) -> tuple[str, ...] | None:
    if not sort and has_query:
        return None  # the search's own order: best match first
    sort = sort or "-updated"
    descending = sort.startswith("-")
    columns = SORT_FIELDS[sort.lstrip("-")]
    return tuple(f"-{c}" if descending else c for c in columns)


def _listing(
    request: AuthenticatedHttpRequest, tickets: QuerySet[Ticket], *, tab: str
) -> HttpResponse:
    user = request.user
    sees_colleagues = _sees_colleagues(user)
    filters = RequestFilterForm(request.GET, user=user, sees_colleagues=sees_colleagues)
    who = filters.value("who")
    # The main tab's company list: the same requests, written so that the company's index serves.
    if who == "company" and tab == "all":
        tickets = selectors.company_ticket_queryset_for_user(user)
    elif who == "company":
        tickets = tickets.filter(Q(organization_id=user.organization_id))
    status = filters.value("status", "open" if tab == "all" else "any")
    if status == "open":
        tickets = tickets.filter(status__in=workflow.OPEN_STATUSES)
    elif status == "closed":
        tickets = tickets.exclude(status__in=workflow.OPEN_STATUSES)
    if who == "mine":
        tickets = tickets.filter(requester=user)
    elif who == "shared":
        tickets = tickets.filter(
            Exists(Participant.objects.filter(ticket=OuterRef("pk"), user=user))
        )
    if request_type := filters.chosen("request_type", RequestType):
        tickets = tickets.filter(request_type=request_type)
    if product := filters.chosen("product", Product):
        tickets = tickets.filter(product=product)
    query = str(filters.value("q")).strip()
    if query:
        tickets = ticket_search(user, query, queryset=tickets)
    sort = str(filters.value("sort"))
    ordering = _ordering(sort, has_query=bool(query))
    if ordering:
        tickets = tickets.order_by(*ordering)
    keyset = keyset_of(ordering) if ordering else None
    # Plain values in the columns a row shows, and those of the keyset (list_rows.py).
    extra = [name.lstrip("-") for name in keyset or () if name.lstrip("-") not in LIST_VALUES]
    listed = tickets.values(*LIST_VALUES, *extra)
    page = CappedPaginator(listed, LIST_PAGE_SIZE, keyset=keyset, counted=tickets).get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )
    page.object_list = list_rows(page.object_list)
    query_without_page = request.GET.copy()
    for name in ("page", "after", "before"):
        query_without_page.pop(name, None)
    query_without_sort = query_without_page.copy()
    query_without_sort.pop("sort", None)
    context = {
        "tab": tab,
        "filters": filters,
        "page": page,
        "tickets": page.object_list,
        "status": status,
        "sort": sort or ("" if query else "-updated"),
        "query": query,
        "query_without_page": query_without_page.urlencode(),
        "query_without_sort": query_without_sort.urlencode(),
        "columns": _columns(),
    }
    return render(request, "portal/request_list.html", context)


def _columns() -> list[tuple[str, str]]:
    return [
        ("reference", _("Reference")),
        ("summary", _("Summary")),
        ("", _("Desk")),
        ("status", _("Status")),
        ("", _("Requester")),
        ("", _("Type")),
        ("updated", _("Last update")),
    ]


@login_required
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_agent or request.user.is_superuser:
        return redirect("workspace:queue")
    return _listing(request, selectors.ticket_queryset_for_user(request.user), tab="all")


@login_required
def awaiting_reply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Only what waits for this customer's answer (docs/requirements.md#request-life, R13)."""
    if request.user.is_agent or request.user.is_superuser:
        return redirect("workspace:queue")
    return _listing(request, selectors.ticket_queryset_awaiting_reply(request.user), tab="awaiting")
