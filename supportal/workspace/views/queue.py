"""The queues: live counts, filters, sorting, pagination, bulk actions and saved views."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core.errors import DomainError, InvalidInput, NotFound
from supportal.core.http import row_id
from supportal.core.paging import CappedPaginator, keyset_of
from supportal.core.widgets import option_tags
from supportal.desks.models import Priority
from supportal.replies import selectors as reply_selectors
from supportal.replies import services as reply_services
from supportal.search.selectors import ticket_search
from supportal.tickets import selectors, services
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import Action
from supportal.workspace.forms import QueueFilterForm, agents_of_desks, desks_of
from supportal.workspace.queue_list import (
    FirstPage,
    first_page_of,
    queue_listed,
    queue_tickets,
)
from supportal.workspace.queue_rows import QUEUE_VALUES, queue_rows
from supportal.workspace.queues import (
    DEFAULT_SORT,
    QUEUES,
    SORTS,
    queue_count_label,
    queue_counts,
    queue_counts_and,
    queue_ordering,
)
from supportal.workspace.templatetags.workspace_quarantine import nav_fact_subqueries, nav_facts_of
from supportal.workspace.views.common import agent_required, safe_next

QUEUE_PAGE_SIZE = 50
# A search lists the best matches among this many of the newest (docs/search.md).
SEARCH_RANKED = 200
# Actions offered on a selection: those that need no text, and resolve with one text for all.
BULK_ACTIONS = (
    Action.TAKE,
    Action.THIRD_PARTY_ANSWERED,
    Action.RESOLVE,
    Action.CLOSE,
    Action.CANCEL,
)


def _bulk_action_labels() -> list[tuple[str, str]]:
    """The bulk actions' values and labels, translated once per page."""
    labels = {
        Action.TAKE: _("Take"),
        Action.THIRD_PARTY_ANSWERED: _("Third party answered"),
        Action.RESOLVE: _("Resolve"),
        Action.CLOSE: _("Close"),
        Action.CANCEL: _("Cancel"),
    }
    return [(action.value, labels[action]) for action in BULK_ACTIONS]


# The agent's last queue and sort, kept in a cookie (no query): /agent/ opens where they were.
LAST_QUEUE_COOKIE = "supportal_queue"
LAST_QUEUE_MAX_AGE = 60 * 60 * 24 * 90


def _last_queue(request: HttpRequest) -> QueryDict | None:
    """The query of the agent's last queue and sort, when the page is asked for bare."""
    remembered = QueryDict(request.COOKIES.get(LAST_QUEUE_COOKIE, ""))
    view, sort = remembered.get("view", ""), remembered.get("sort", "")
    kept = QueryDict(mutable=True)
    if view in QUEUES:
        kept["view"] = view
    if sort in SORTS:
        kept["sort"] = sort
    return kept or None


@agent_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    query_dict = request.GET or _last_queue(request)
    form = QueueFilterForm(query_dict, user=request.user)
    queue_key = form.queue_key()
    paginator, query, sort_key, first = _queue_paginator(request, form, queue_key, now=now)
    counts, nav_counted, page = _counts_and_page(request, paginator, now=now, first=first)
    rows = queue_rows(page.object_list, now=now)
    page.object_list = rows
    params = (query_dict or QueryDict()).copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    bulk_actions = _bulk_action_labels()
    context = {
        "form": form,
        "page": page,
        "tickets": rows,
        # As the template's loop over the rows wrote them (docs/performance.md, "Sixth round").
        "rows_html": mark_safe("".join(f"\n    {row.html}\n  " for row in rows)),  # noqa: S308
        "view": queue_key,
        "queue_label": QUEUES[queue_key].label,
        "queues": [(key, q.label, queue_count_label(counts.get(key))) for key, q in QUEUES.items()],
        "counts": counts,
        "query": query,
        "sort": sort_key,
        "params": params.urlencode(),
        "saved_views": _saved_views(request.user),
        "bulk_actions": bulk_actions,
        "menus": _menus(request.user, form, bulk_actions),
        # The form's lists, read once (docs/performance.md, "Fifth round").
        "agents": form.agents,
        "priorities": form.priorities,
        "desks": form.desks,
        "sorts": [(key, sort.label) for key, sort in SORTS.items()],
        "filter_count": form.filter_count(),
        "nav_facts": nav_facts_of(request.user, nav_counted),
    }
    response = render(request, "workspace/queue.html", context)
    _remember_queue(request, response)
    return response


def _menus(
    user: User, form: QueueFilterForm, bulk_actions: list[tuple[str, str]]
) -> dict[str, SafeString]:
    """The options of the page's own menus (bulk actions, saved views), written from the
    form's lists in Python rather than a template loop per option (docs/performance.md,
    "Sixth round")."""
    # As {% blocktranslate %} wrote it: the desk's name escaped, the translation as it is.
    everyone_on = _("Everyone on %(desk)s")
    desks = "".join(
        f'<option value="{escape(str(desk.pk))}">'
        f"{everyone_on % {'desk': escape(desk.name)}}</option>"
        for desk in form.desks
    )
    return {
        "assignees": option_tags((agent.pk, str(agent)) for agent in form.agents if agent != user),
        "bulk_actions": option_tags(bulk_actions),
        "priorities": option_tags((priority.pk, priority.name) for priority in form.priorities),
        "scopes": mark_safe(desks),  # noqa: S308 - the names are escaped
    }


def _counts_and_page(
    request: AuthenticatedHttpRequest,
    paginator: CappedPaginator,
    *,
    now: dt.datetime,
    first: FirstPage | None,
) -> tuple[dict[str, int], list[int], Page]:
    """The queue counts, the navigation's facts and the page the request asks for: the
    facts and the list's own capped count are counted in the queue counts' statement
    (docs/performance.md, "Sixth round" and "Seventh round: the agent queue")."""
    number = request.GET.get("page")
    cursors = {"after": request.GET.get("after"), "before": request.GET.get("before")}
    also = nav_fact_subqueries(request.user)
    if first is not None:
        return _counts_and_first_page(request.user, paginator, first, now=now, also=also)
    list_rows = paginator.count_rows(number, **cursors)
    if list_rows is not None:
        try:
            also.append(list_rows.query.get_compiler(using=list_rows.db).as_sql())
        except EmptyResultSet:  # a list that can hold nothing (a search that matched nothing)
            paginator.count_is(0)
            list_rows = None
    counts, counted = queue_counts_and(request.user, now=now, also=also)
    if list_rows is not None:
        paginator.count_is(counted[-1])
    return counts, counted[:2], paginator.get_page(number, **cursors)


def _counts_and_first_page(
    user: User,
    paginator: CappedPaginator,
    first: FirstPage,
    *,
    now: dt.datetime,
    also: list[tuple[str, Any]],
) -> tuple[dict[str, int], list[int], Page]:
    """``_counts_and_page`` for a kept first page: the same two statements, compiled once
    per process (docs/performance.md, "Eleventh round: the agent queue")."""
    limits = paginator.first_rows_limits()
    try:
        also.append(first.count_sql(limits))
    except EmptyResultSet:  # a list that can hold nothing
        counts, counted = queue_counts_and(user, now=now, also=also)
        paginator.count_is(0)
        return counts, counted[:2], paginator.first_page([])
    counts, counted = queue_counts_and(user, now=now, also=also)
    paginator.count_is(counted[-1])
    return counts, counted[:2], paginator.first_page(first.rows(limits))


def _queue_paginator(
    request: AuthenticatedHttpRequest,
    form: QueueFilterForm,
    queue_key: str,
    *,
    now: dt.datetime,
) -> tuple[CappedPaginator, str, str, FirstPage | None]:
    """The paginator of the form's queue, with the search text and the sort used, and the
    kept first page when the request asks for one: a search ranks by best match unless a
    sort is chosen; sorted lists page by keyset."""
    filters = form.filters_set()
    query = (filters.get("q") or "").strip()
    sort_key = filters.get("sort") or ""
    if sort_key in SORTS or not query:
        sort_key = sort_key if sort_key in SORTS else DEFAULT_SORT
    first = None
    if not query and not any(request.GET.get(name) for name in ("page", "after", "before")):
        first = first_page_of(
            request.user, queue_key=queue_key, sort_key=sort_key, now=now, filters=filters
        )
    counted = None
    if first is None:
        tickets = counted = _queue_tickets(request.user, form, queue_key, now=now, query=query)
        if sort_key in SORTS:
            tickets, keyset = queue_listed(tickets, queue_key=queue_key, sort_key=sort_key)
        else:
            tickets, keyset = tickets.values(*QUEUE_VALUES), None
    else:
        # Never read: the first page's rows and count come from its kept statements.
        tickets = Ticket.objects.none()
        keyset = keyset_of(queue_ordering(queue_key=queue_key, sort_key=sort_key))
    shown = QUEUES[queue_key]
    paginator = CappedPaginator(
        tickets,
        QUEUE_PAGE_SIZE,
        cap=shown.count_cap,
        count_in_order=shown.count_cap is not None,
        keyset=keyset,
        rows_at_most=SEARCH_RANKED if query else None,
        counted=counted,
    )
    return paginator, query, sort_key, first


def _queue_tickets(
    user: User, form: QueueFilterForm, queue_key: str, *, now: dt.datetime, query: str
) -> QuerySet[Ticket]:
    """The queue's tickets for this request, filtered, with the SLA column, and the best of
    the newest matches of a search (docs/search.md, "Ranking stops early")."""
    visible = selectors.ticket_queryset_for_user(user)
    tickets = queue_tickets(
        visible, queue_key=queue_key, user=user, now=now, filters=form.filters_set()
    )
    if query:
        tickets = ticket_search(user, query, queryset=tickets, ranked_at_most=SEARCH_RANKED)
    return tickets


def _remember_queue(request: AuthenticatedHttpRequest, response: HttpResponse) -> None:
    # Only what the agent chose is remembered: a search from the toolbar keeps the last queue.
    last = _last_queue(request) or QueryDict()
    view = request.GET["view"] if "view" in request.GET else last.get("view")
    sort = request.GET["sort"] if "sort" in request.GET else last.get("sort")
    remembered = urlencode(
        {
            **({"view": view} if view in QUEUES else {}),
            **({"sort": sort} if sort in SORTS else {}),
        }
    )
    if request.COOKIES.get(LAST_QUEUE_COOKIE) != remembered:
        response.set_cookie(
            LAST_QUEUE_COOKIE,
            remembered,
            max_age=LAST_QUEUE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )


def _saved_views(user: User) -> list[dict[str, object]]:
    views = reply_selectors.saved_views_for_user(user)
    led = reply_selectors.desk_ids_led_by(user) if any(v.desk_id for v in views) else set()
    return [
        {
            "view": view,
            "url": "?" + urlencode(view.params, doseq=True),
            "can_delete": view.owner_id == user.pk
            or (view.desk_id is not None and (led is None or view.desk_id in led)),
        }
        for view in views
    ]


@agent_required
def queue_counts_json(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The queue counts, for the page to refresh them in place."""
    counts = queue_counts(request.user, now=timezone.now())
    return JsonResponse({key: queue_count_label(count) for key, count in counts.items()})


def _ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("ticket") if row_id(v) is not None]


@require_POST
@agent_required
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Apply one change to the selected tickets; each refusal is reported with its reference."""
    back = safe_next(request, reverse("workspace:queue"))
    ids = _ids(request)
    if not ids:
        messages.error(request, _("Select at least one request."))
        return redirect(back)
    try:
        report = _bulk_apply(request, ids)
    except InvalidInput as unchosen:
        messages.error(request, unchosen.message)
        return redirect(back)
    _bulk_report(request, report)
    return redirect(back)


def _bulk_apply(request: AuthenticatedHttpRequest, ids: list[int]) -> services.BulkReport:
    """The chosen operation on the selected tickets; InvalidInput when its value is missing."""
    operation = request.POST.get("operation")
    if operation == "assign":
        value = request.POST.get("assignee", "")
        assignee: User | None = None
        if value == "me":
            assignee = request.user
        elif value != "none":
            assignee = agents_of_desks(request.user).filter(pk=row_id(value) or 0).first()
            if assignee is None:
                raise InvalidInput(_("Choose whom to assign the requests to."))
        return services.tickets_bulk_assign(actor=request.user, ticket_ids=ids, assignee=assignee)
    if operation == "transition":
        try:
            action = Action(request.POST.get("action", ""))
        except ValueError:
            raise InvalidInput(_("Choose a status change.")) from None
        if action not in BULK_ACTIONS:
            raise InvalidInput(_("Choose a status change."))
        return services.tickets_bulk_transition(
            actor=request.user,
            ticket_ids=ids,
            action=action,
            resolution=request.POST.get("resolution", ""),
        )
    if operation == "priority":
        value = request.POST.get("priority", "")
        priority = Priority.objects.filter(pk=value).first() if row_id(value) is not None else None
        if priority is None:
            raise InvalidInput(_("Choose a priority."))
        return services.tickets_bulk_priority(actor=request.user, ticket_ids=ids, priority=priority)
    raise Http404


def _bulk_report(request: AuthenticatedHttpRequest, report: services.BulkReport) -> None:
    if report.done:
        messages.success(
            request,
            ngettext(
                "%(count)d request changed: %(references)s.",
                "%(count)d requests changed: %(references)s.",
                len(report.done),
            )
            % {
                "count": len(report.done),
                "references": ", ".join(o.reference for o in report.done),
            },
        )
    for outcome in report.refused:
        messages.error(request, f"{outcome.reference}: {outcome.refusal}")
    if report.missing:
        messages.error(
            request,
            ngettext(
                "%(count)d selected request was not found.",
                "%(count)d selected requests were not found.",
                report.missing,
            )
            % {"count": report.missing},
        )


@require_POST
@agent_required
def saved_view_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the current filters (the ``params`` query string) as a personal or desk view."""
    params = QueryDict(request.POST.get("params", ""))
    scope = request.POST.get("scope", "")
    desk = desks_of(request.user).filter(pk=scope).first() if row_id(scope) is not None else None
    if scope and desk is None:
        raise Http404
    try:
        view = reply_services.saved_view_create(
            actor=request.user,
            name=request.POST.get("name", ""),
            params=dict(params.lists()),
            desk=desk,
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("workspace:queue") + "?" + params.urlencode())
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("workspace:queue") + "?" + urlencode(view.params, doseq=True))


@require_POST
@agent_required
def saved_view_delete(request: AuthenticatedHttpRequest, view_id: int) -> HttpResponse:
    try:
        view = reply_selectors.saved_view_get_for_user(request.user, view_id)
        reply_services.saved_view_delete(actor=request.user, view=view)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("View deleted."))
    return redirect("workspace:queue")
