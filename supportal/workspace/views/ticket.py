"""Working one ticket: the page, replies and notes, workflow actions, assignment, fields,
participants, quotes, collision warnings and the export of the whole record."""

from __future__ import annotations

from typing import TypeVar

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.audit.services import audit_exported
from supportal.core.errors import DomainError, NotFound
from supportal.core.http import refusals_as_messages, row_id
from supportal.desks.models import Priority, RequestType
from supportal.replies import selectors as reply_selectors
from supportal.replies import services as reply_services
from supportal.tickets import selectors, services
from supportal.tickets.models import (
    Ticket,
)
from supportal.tickets.record import record_build, record_response
from supportal.tickets.timeline import Audience
from supportal.tickets.workflow import Action
from supportal.workspace import live, presence
from supportal.workspace.events import events_describe
from supportal.workspace.forms import QuoteForm
from supportal.workspace.ticket_page import (
    CUSTOMER_ONLY_ACTIONS,
    Draft,
    canned_for,
    colleagues_for,
    customer_card_for,
    desk_agents_for,
    ticket_page_for,
)
from supportal.workspace.views.common import (
    FRAGMENT_HEADER,
    agent_required,
    ticket_or_404,
    wants_fragment,
)

# Actions that send text to the customer: if the ticket changed meanwhile, ask first.
_ACTIONS_CHECKED_FOR_CHANGES = {Action.REQUEST_INFO, Action.RESOLVE}
# The status changes offered next to "Send" (the reply is the question, or the resolution).
_REPLY_THEN = {Action.REQUEST_INFO.value, Action.RESOLVE.value}

_Row = TypeVar("_Row", bound=Model)


def _page(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    *,
    status: int = 200,
    draft: Draft | None = None,
    customer_card: bool = False,
) -> HttpResponse:
    """The ticket page, or only its changing parts when the page's script asks for them
    (``workspace/_ticket_update.html``: the same partials, so both always agree). The
    fragment holds the customer card only when ``customer_card`` is set."""
    fragment = wants_fragment(request)
    page = ticket_page_for(request.user, ticket, draft=draft or Draft())
    if customer_card or not fragment:
        page.customer = customer_card_for(request.user, ticket, now=page.now)
    if not fragment:
        page.canned = canned_for(request.user, ticket)
    template = "workspace/_ticket_update.html" if fragment else "workspace/ticket.html"
    response = render(request, template, page.context(), status=status)
    patch_vary_headers(response, [FRAGMENT_HEADER])
    return response


@agent_required
def ticket_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    # Its product, type and priority come from the desk's kept rows (tickets.names.names_kept).
    ticket = ticket_or_404(request, reference, with_names=False)
    body = ""
    canned_id = request.GET.get("canned", "")
    if row_id(canned_id) is not None:
        # Without JavaScript, "Insert" reloads the page with the reply in the text box.
        reply = (
            reply_selectors.canned_replies_for_ticket(request.user, ticket)
            .filter(pk=canned_id)
            .first()
        )
        if reply is not None:
            body = reply_selectors.canned_reply_render(reply, ticket=ticket, agent=request.user)
    return _page(request, ticket, draft=Draft(body=body))


def _seen_event_id(request: AuthenticatedHttpRequest) -> int | None:
    value = request.POST.get("seen_event_id", "")
    return row_id(value)


def _unseen_changes(request: AuthenticatedHttpRequest, ticket: Ticket) -> list:
    """What others did since the page was loaded (empty when the form says nothing)."""
    seen = _seen_event_id(request)
    if seen is None:
        return []
    return events_describe(
        selectors.ticket_changes_since(request.user, ticket, after_event_id=seen)
    )


def _back(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    anchor: str = "",
    *,
    was_open: bool | None = None,
) -> HttpResponse:
    """Back to the ticket page after a change: a redirect, or for the page's script at once
    the changed parts (read again, as the services changed the ticket). ``was_open``: whether
    the ticket was open before the change, so a fragment refreshes the customer card's count
    of open requests when that changed."""
    if wants_fragment(request):
        fresh = ticket_or_404(request, ticket.reference)
        opened_or_closed = was_open is not None and fresh.is_open != was_open
        return _page(request, fresh, customer_card=opened_or_closed)
    return redirect(reverse("workspace:ticket", args=[ticket.reference]) + anchor)


@require_POST
@agent_required
def ticket_comment(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Post a reply or an internal note: once per form, and never over unseen changes."""
    ticket = ticket_or_404(request, reference)
    body = request.POST.get("body", "")
    is_public = request.POST.get("visibility") == "public"
    visibility = "public" if is_public else "internal"
    then_value = request.POST.get("then", "") if is_public else ""
    then = Action(then_value) if then_value in _REPLY_THEN else None
    token = request.POST.get("token", "")
    if reply_selectors.submission_is_done(request.user, token):
        messages.info(request, _("This was already sent; it was not sent twice."))
        return _back(request, ticket, "#activity")
    changes = _unseen_changes(request, ticket)
    if changes:
        draft = Draft(
            body=body,
            visibility=visibility,
            then=then_value,
            changes=changes,
            had_files=bool(request.FILES),
        )
        return _page(request, ticket, status=409, draft=draft)
    files = [services.NewAttachment(file=f) for f in request.FILES.getlist("attachments")]
    try:
        result = reply_services.submission_once(
            user=request.user,
            ticket=ticket,
            token=token,
            submit=lambda: services.ticket_comment_add(
                ticket=ticket,
                author=request.user,
                body=body,
                is_public=is_public,
                attachments=files,
                then=then,
            ),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        # The text comes back with the reason: a reply is never silently lost.
        messages.error(request, exc.message)
        draft = Draft(
            body=body, visibility=visibility, then=then_value, had_files=bool(request.FILES)
        )
        return _page(request, ticket, status=400, draft=draft)
    if presence.presence_touch(ticket_id=ticket.pk, user=request.user, is_typing=False):
        live.presence_announce(ticket)
    if result.is_repeat:
        messages.info(request, _("This was already sent; it was not sent twice."))
    else:
        messages.success(request, _("Reply sent.") if is_public else _("Internal note added."))
    return _back(request, ticket, "#activity", was_open=ticket.is_open if then else None)


_ACTION_FIELDS = ("comment", "reason", "third_party", "resolution", "answer")


@require_POST
@agent_required
def ticket_action(request: AuthenticatedHttpRequest, reference: str, action: str) -> HttpResponse:
    """One row of the workflow table, from its button, with the inputs the row needs."""
    ticket = ticket_or_404(request, reference)
    try:
        action = Action(action)
    except ValueError:
        raise Http404 from None
    if action in CUSTOMER_ONLY_ACTIONS:
        raise Http404
    pending = {name: request.POST.get(name, "") for name in _ACTION_FIELDS}
    token = request.POST.get("token", "")
    was_open = ticket.is_open
    if reply_selectors.submission_is_done(request.user, token):
        messages.info(request, _("This was already done; it was not done twice."))
        return _back(request, ticket)
    if action in _ACTIONS_CHECKED_FOR_CHANGES:
        changes = _unseen_changes(request, ticket)
        if changes:
            draft = Draft(changes=changes, pending_action=action, pending=pending)
            return _page(request, ticket, status=409, draft=draft)

    def submit() -> None:
        if action == Action.THIRD_PARTY_ANSWERED:
            services.ticket_third_party_answer_record(
                ticket=ticket, actor=request.user, answer=pending["answer"]
            )
        else:
            services.ticket_transition(
                ticket=ticket,
                actor=request.user,
                action=action,
                comment=pending["comment"],
                reason=pending["reason"],
                third_party=pending["third_party"],
                resolution=pending["resolution"],
            )

    try:
        result = reply_services.submission_once(
            user=request.user, ticket=ticket, token=token, submit=submit
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        draft = Draft(pending_action=action, pending=pending)
        return _page(request, ticket, status=400, draft=draft)
    if result.is_repeat:
        messages.info(request, _("This was already done; it was not done twice."))
    else:
        messages.success(request, _("The request was updated."))
    return _back(request, ticket, was_open=was_open)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def ticket_assign(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Team leads assign anyone of the desk; an agent assigns themself ("me")."""
    ticket = selectors.ticket_get_for_user(request.user, reference)
    value = request.POST.get("assignee", "")
    if value == "me":
        assignee: User | None = request.user
    elif value in ("", "none"):
        assignee = None
    else:
        assignee = desk_agents_for(ticket).filter(pk=row_id(value) or 0).first()
        if assignee is None:
            raise Http404
    services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)
    messages.success(request, _("The request was updated."))
    return _back(request, ticket)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def ticket_fields(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Change priority, type and product (the fields the form sends)."""
    ticket = selectors.ticket_get_for_user(request.user, reference)
    posted = request.POST
    changes: services.FieldChanges = {}
    try:
        if "priority" in posted:
            changes["priority"] = _offered(posted["priority"], Priority.objects.all())
        if "request_type" in posted:
            changes["request_type"] = _offered(
                posted["request_type"], RequestType.objects.filter(desk_id=ticket.desk_id)
            )
        if "product" in posted:
            changes["product"] = _offered(posted["product"], ticket.desk.products.all())
    except LookupError:
        messages.error(request, _("Choose one of the offered values."))
        return _back(request, ticket)
    custom = {
        name.removeprefix("cf_"): request.POST.get(name, "").strip()
        for name in request.POST
        if name.startswith("cf_")
    }
    if custom:
        changes["custom_fields"] = custom
    services.ticket_fields_change(ticket=ticket, actor=request.user, **changes)
    messages.success(request, _("The request was updated."))
    return _back(request, ticket)


def _offered(value: str, choices: QuerySet[_Row]) -> _Row | None:
    """The row chosen among ``choices``, None for the empty choice; LookupError for a value
    that was not offered."""
    if not value:
        return None
    chosen = choices.filter(pk=value).first() if row_id(value) is not None else None
    if chosen is None:
        raise LookupError(value)
    return chosen


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def participant_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    email = request.POST.get("email", "").strip()
    if email:
        # Anyone, e.g. someone in Cc from another company: they get the public updates by mail.
        person = services.participant_add_by_email(ticket=ticket, actor=request.user, email=email)
        messages.success(request, _("Shared with %(name)s.") % {"name": person})
        return _back(request, ticket)
    value = request.POST.get("user", "")
    person = colleagues_for(ticket).filter(pk=row_id(value) or 0).first()
    if person is None:
        messages.error(request, _("Choose a colleague of the requester."))
        return _back(request, ticket)
    services.participant_add(ticket=ticket, actor=request.user, person=person)
    messages.success(request, _("Shared with %(name)s.") % {"name": person})
    return _back(request, ticket)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def participant_remove(
    request: AuthenticatedHttpRequest, reference: str, user_id: int
) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    participant = ticket.participants.select_related("user").filter(user_id=user_id).first()
    if participant is None:
        raise Http404
    services.participant_remove(ticket=ticket, actor=request.user, person=participant.user)
    messages.success(request, _("No longer shared with %(name)s.") % {"name": participant.user})
    return _back(request, ticket)


@require_POST
@agent_required
@refusals_as_messages("workspace:ticket")
def quote_propose(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    form = QuoteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request, ticket)
    services.quote_propose(
        ticket=ticket,
        actor=request.user,
        price=form.cleaned_data["price"],
        currency=form.cleaned_data["currency"],
        deadline=form.cleaned_data["deadline"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Quote proposed to the customer."))
    return _back(request, ticket)


@require_POST
@agent_required
def ticket_presence(request: AuthenticatedHttpRequest, reference: str) -> JsonResponse:
    """The page's heartbeat: records this agent as present (and maybe writing) and answers who
    else is there and what changed since the page was loaded."""
    ticket = ticket_or_404(request, reference)
    is_typing = request.POST.get("typing") == "1"
    if presence.presence_touch(ticket_id=ticket.pk, user=request.user, is_typing=is_typing):
        live.presence_announce(ticket)
    others = presence.presence_others(ticket_id=ticket.pk, user=request.user)
    changes = _unseen_changes(request, ticket)
    return JsonResponse(
        {
            "others": [{"name": p.name, "is_typing": p.is_typing} for p in others],
            # One line per change; one mail's files and sharings with it.
            "changes": [" ".join([e.text, *(sub.text for sub in e.folded)]) for e in changes],
        }
    )


@require_POST
@agent_required
def ticket_leave(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    if presence.presence_leave(ticket_id=ticket.pk, user=request.user):
        live.presence_announce(ticket)
    return HttpResponse(status=204)


@agent_required
def ticket_export(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The whole record as a printable document, internal notes included (agents only)."""
    ticket = ticket_or_404(request, reference)
    back_url = reverse("workspace:ticket", args=[ticket.reference])
    page = record_build(request.user, ticket, audience=Audience.AGENT, back_url=back_url)
    is_download = request.GET.get("download") == "1"
    audit_exported(
        actor=request.user,
        what="ticket_record",
        filters={"reference": ticket.reference, "download": is_download},
        obj=ticket,
    )
    return record_response(request, page, download=is_download)
