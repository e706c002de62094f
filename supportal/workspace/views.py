"""Agent pages. Thin: parse, select through selectors, change through services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.core.http import refusals_as_messages
from supportal.search.selectors import ticket_search
from supportal.tickets import selectors, services, workflow
from supportal.tickets.workflow import Action, Status

QUEUE_PAGE_SIZE = 50


def _is_support(user: User) -> bool:
    return user.is_authenticated and (user.is_agent or user.is_superuser)


agent_required = user_passes_test(_is_support)


@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    tickets = selectors.ticket_queryset_for_user(request.user).select_related(
        "desk", "requester", "assignee", "priority", "organization"
    )
    view = request.GET.get("view", "open")
    if view == "mine":
        tickets = tickets.filter(assignee=request.user, status__in=workflow.OPEN_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True, status__in=workflow.OPEN_STATUSES)
    elif view == "all":
        pass
    else:
        view = "open"
        tickets = tickets.filter(status__in=workflow.OPEN_STATUSES)
    query = request.GET.get("q", "").strip()
    if query:
        tickets = ticket_search(request.user, query, queryset=tickets)  # best match first
    else:
        tickets = tickets.order_by("-updated_at")
    tickets = tickets[:QUEUE_PAGE_SIZE]
    return render(
        request, "workspace/queue.html", {"tickets": tickets, "view": view, "query": query}
    )


@agent_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        ticket = selectors.ticket_get_for_user(request.user, reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    roles = selectors.ticket_roles(request.user, ticket)
    context = {
        "ticket": ticket,
        "events": selectors.event_list_for_user(request.user, ticket),
        "attachments": selectors.attachment_queryset_for_user(request.user, ticket),
        "participants": ticket.participants.select_related("user"),
        "actions": workflow.allowed_actions(Status(ticket.status), roles),
        "is_final": ticket.status in workflow.FINAL_STATUSES,
        "reasons": workflow.WaitingReason.choices,
    }
    return render(request, "workspace/ticket.html", context)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def ticket_comment(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    files = [services.NewAttachment(file=f) for f in request.FILES.getlist("attachments")]
    is_public = request.POST.get("visibility") == "public"
    services.ticket_comment_add(
        ticket=ticket,
        author=request.user,
        body=request.POST.get("body", ""),
        is_public=is_public,
        attachments=files,
    )
    messages.success(request, _("Reply sent.") if is_public else _("Internal note added."))
    return redirect("workspace:ticket", reference=ticket.reference)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def ticket_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    try:
        action = Action(action)
    except ValueError:
        raise Http404 from None
    services.ticket_transition(
        ticket=ticket,
        actor=request.user,
        action=action,
        comment=request.POST.get("comment", ""),
        reason=request.POST.get("reason", ""),
        third_party=request.POST.get("third_party", ""),
        resolution=request.POST.get("resolution", ""),
    )
    messages.success(request, _("The request was updated."))
    return redirect("workspace:ticket", reference=ticket.reference)
