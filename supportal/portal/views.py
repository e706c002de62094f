"""Customer pages. Thin: parse, select through selectors, change through services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.core.errors import DomainError, NotFound
from supportal.core.http import refusals_as_messages
from supportal.search.selectors import ticket_search
from supportal.tickets import selectors, services, workflow
from supportal.tickets.workflow import Action, Status

LIST_PAGE_SIZE = 50


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_agent or request.user.is_superuser:
        return redirect("workspace:queue")
    scope = request.GET.get("status", "open")
    tickets = selectors.ticket_queryset_for_user(request.user).select_related(
        "desk", "requester", "request_type"
    )
    if scope == "open":
        tickets = tickets.filter(status__in=workflow.OPEN_STATUSES)
    elif scope == "closed":
        tickets = tickets.exclude(status__in=workflow.OPEN_STATUSES)
    query = request.GET.get("q", "").strip()
    if query:
        tickets = ticket_search(request.user, query, queryset=tickets)  # best match first
    else:
        tickets = tickets.order_by("-updated_at")
    tickets = tickets[:LIST_PAGE_SIZE]
    return render(
        request, "portal/request_list.html", {"tickets": tickets, "scope": scope, "query": query}
    )


@login_required
def request_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        ticket = selectors.ticket_get_for_user(request.user, reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _detail_page(request, ticket)


def _detail_page(request: HttpRequest, ticket, *, comment_body: str = "", status: int = 200):
    roles = selectors.ticket_roles(request.user, ticket)
    context = {
        "ticket": ticket,
        "events": selectors.event_list_for_user(request.user, ticket),
        "attachments": selectors.attachment_queryset_for_user(request.user, ticket),
        "participants": ticket.participants.select_related("user"),
        "can_comment": workflow.can_customer_comment(Status(ticket.status)),
        "can_resolve": workflow.is_allowed(Action.CUSTOMER_RESOLVE, Status(ticket.status), roles),
        "can_cancel": workflow.is_allowed(Action.CANCEL, Status(ticket.status), roles),
        "comment_body": comment_body,
    }
    return render(request, "portal/request_detail.html", context, status=status)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def request_comment(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    files = [services.NewAttachment(file=f) for f in request.FILES.getlist("attachments")]
    body = request.POST.get("body", "")
    try:
        services.ticket_comment_add(
            ticket=ticket, author=request.user, body=body, attachments=files
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        # Keep what the customer typed: the page comes back with the text and the reason.
        messages.error(request, exc.message)
        return _detail_page(request, ticket, comment_body=body, status=400)
    messages.success(request, _("Your comment was added."))
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def request_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    if action not in {Action.CUSTOMER_RESOLVE, Action.CANCEL}:
        raise Http404
    services.ticket_transition(
        ticket=ticket,
        actor=request.user,
        action=Action(action),
        comment=request.POST.get("comment", ""),
    )
    messages.success(request, _("The request was updated."))
    return redirect("portal:request", reference=ticket.reference)


@login_required
def file_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Every download is permission-checked; files are never served from a public folder."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.file_name
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
