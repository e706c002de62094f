"""One request's page and everything a customer does there."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core import paging
from supportal.core.errors import DomainError, InvalidInput, NotFound
from supportal.core.http import refusals_as_messages, row_id
from supportal.portal import uploads
from supportal.portal.forms import CommentForm, FeedbackForm
from supportal.portal.templatetags.portal_tags import awaiting_reply_count_known
from supportal.sla.selectors import sla_panel_for
from supportal.tickets import selectors, services, workflow
from supportal.tickets.models import (
    Attachment,
    Feedback,
    NotificationMute,
    Participant,
    Quote,
    QuoteState,
    Ticket,
)
from supportal.tickets.names import names_kept
from supportal.tickets.record import custom_field_rows, record_build, record_response
from supportal.tickets.timeline import Audience, TimelineEntry, timeline_build
from supportal.tickets.workflow import Action, Role, Status

CUSTOMER_ACTIONS = {Action.CUSTOMER_RESOLVE, Action.CANCEL}


def _ticket(
    request: AuthenticatedHttpRequest,
    reference: str,
    *,
    with_viewer_state: bool = False,
    with_names: bool = True,
) -> Ticket:
    try:
        return selectors.ticket_get_for_user(
            request.user, reference, with_viewer_state=with_viewer_state, with_names=with_names
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def request_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    # The feedback and the viewer's mute come with the request's own statement; its product,
    # type and priority from the desk's kept rows (tickets.names.names_kept).
    ticket = _ticket(request, reference, with_viewer_state=True, with_names=False)
    if selectors.is_support_for(request.user, ticket):
        return redirect("workspace:ticket", reference=ticket.reference)
    # A customer's request comes with the navigation's count (one statement for both).
    awaiting = getattr(ticket, "awaiting_reply_count", None)
    if awaiting is not None:
        awaiting_reply_count_known(request, awaiting)
    return _detail_page(request, ticket)


@dataclass
class RequestPage:
    """What the request page shows (the template's context)."""

    ticket: Ticket
    roles: frozenset[Role]
    is_requester: bool
    timeline: list[TimelineEntry]  # newest first
    attachments: list[Attachment]
    custom_field_rows: list[tuple[str, object]]
    participants: list[Participant]
    participant_candidates: list[User] | None  # None: too many for a menu, chosen by address
    quotes: list[Quote]
    proposed_quote: Quote | None
    last_quote: Quote | None  # shown with its state once answered
    feedback: Feedback | None
    can_give_feedback: bool
    is_muted: bool
    is_final: bool
    can_comment: bool
    can_resolve: bool
    can_cancel: bool

    def context(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def _request_page(user: User, ticket: Ticket) -> RequestPage:
    names_kept(ticket)
    roles = selectors.ticket_roles(user, ticket)
    status = Status(ticket.status)
    attachments = selectors.attachment_rows_for_user(user, ticket)
    participants = selectors.participant_rows(ticket)
    is_final = status in workflow.FINAL_STATUSES
    events = selectors.event_rows_for_user(user, ticket)
    quotes = selectors.quote_list_for_events(ticket, events)
    # The people the events name are the request's own, as a rule: no query for them.
    known = [ticket.requester, ticket.assignee, *(p.user for p in participants)]
    return RequestPage(
        ticket=ticket,
        roles=roles,
        is_requester=Role.REQUESTER in roles,
        timeline=timeline_build(
            events, audience=Audience.CUSTOMER, attachments=attachments, known=known
        ),
        attachments=attachments,
        custom_field_rows=custom_field_rows(ticket, audience=Audience.CUSTOMER),
        participants=participants,
        participant_candidates=[] if is_final else _candidates(ticket, participants),
        quotes=quotes,
        proposed_quote=next((q for q in quotes if q.state == QuoteState.PROPOSED), None),
        last_quote=max(quotes, key=lambda q: (q.created_at, q.pk), default=None),
        feedback=_feedback(ticket),
        can_give_feedback=Role.REQUESTER in roles and workflow.can_give_feedback(status),
        is_muted=_is_muted(ticket, user),
        is_final=is_final,
        can_comment=workflow.can_customer_comment(status),
        can_resolve=workflow.is_allowed(Action.CUSTOMER_RESOLVE, status, roles),
        can_cancel=workflow.is_allowed(Action.CANCEL, status, roles),
    )


def _feedback(ticket: Ticket) -> Feedback | None:
    """The request's feedback: joined to the request when it was read for this page (None
    cached when there is none), else read now."""
    try:
        return ticket.feedback
    except Feedback.DoesNotExist:
        return None


def _is_muted(ticket: Ticket, user: User) -> bool:
    """Whether ``user`` muted the request: annotated when it was read for this page."""
    annotated = getattr(ticket, "is_muted_by_viewer", None)
    if annotated is not None:
        return bool(annotated)
    return NotificationMute.objects.filter(ticket=ticket, user=user).exists()


def _candidates(ticket: Ticket, participants: list[Participant]) -> list[User] | None:
    """The requester's colleagues the request could still be shared with; None when there are
    too many for a menu (the page then asks for the colleague's e-mail address)."""
    if not ticket.organization_id:
        return []
    return paging.picker_choices(
        _colleagues(ticket).exclude(pk__in=[p.user_id for p in participants])
    )


def _colleagues(ticket: Ticket) -> QuerySet[User]:
    return selectors.colleague_queryset(ticket.requester).filter(
        organization=ticket.organization_id
    )


def _detail_page(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    *,
    comment_form: CommentForm | None = None,
    chosen: uploads.ChosenFiles | None = None,
    feedback_form: FeedbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _request_page(request.user, ticket).context()
    context["sla"] = sla_panel_for(ticket, request.user)
    context["comment_form"] = comment_form or CommentForm()
    context["chosen"] = chosen or uploads.ChosenFiles([], [], [])
    context["feedback_form"] = feedback_form or FeedbackForm()
    context["confirm_cancel"] = request.GET.get("cancel") == "1"
    return render(request, "portal/request_detail.html", context, status=status)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def request_comment(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    form = CommentForm(request.POST)
    chosen = uploads.files_chosen(request, ticket.desk)
    if form.is_valid() and not chosen.errors:
        attachments = chosen.open()
        try:
            services.ticket_comment_add(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                attachments=attachments,
            )
        except NotFound:
            raise
        except DomainError as exc:
            # The page comes back with the text, the files and the reason.
            form.add_error(None, exc.message)
        else:
            chosen.done(request)
            messages.success(request, _("Your comment was added."))
            return redirect("portal:request", reference=ticket.reference)
        finally:
            uploads.pending_close(attachments)
    chosen.keep_for_next_time(request)
    return _detail_page(request, ticket, comment_form=form, chosen=chosen, status=400)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def request_action(request: AuthenticatedHttpRequest, reference: str, action: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    if action not in CUSTOMER_ACTIONS:
        raise Http404
    if action == Action.CANCEL and request.POST.get("confirm") != "1":
        # Cancelling cannot be undone: it is asked for twice (the page's form confirms).
        messages.info(request, _("Confirm that you want to cancel the request."))
        return redirect(
            reverse("portal:request", kwargs={"reference": ticket.reference}) + "?cancel=1"
        )
    services.ticket_transition(
        ticket=ticket,
        actor=request.user,
        action=Action(action),
        comment=request.POST.get("comment", ""),
    )
    if action == Action.CANCEL:
        messages.success(request, _("The request was cancelled."))
    else:
        messages.success(request, _("The request was marked as resolved. Thank you!"))
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def request_mute(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """ "Don't notify me" (docs/requirements.md#notifications, N2), and its undo, for this
    request."""
    ticket = selectors.ticket_get_for_user(request.user, reference)
    is_muted = request.POST.get("mute") == "1"
    services.ticket_mute_set(ticket=ticket, user=request.user, is_muted=is_muted)
    if is_muted:
        messages.success(
            request,
            _(
                "You will no longer be notified of changes to this request. Requests for "
                "information and the resolution still reach you."
            ),
        )
    else:
        messages.success(request, _("You will be notified of changes to this request again."))
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def participant_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    chosen, address = request.POST.get("user", ""), request.POST.get("email", "").strip()
    if address:
        # A company too big for the menu: the colleague is named by their address.
        person = _colleagues(ticket).filter(email__iexact=address).first()
        if person is None:
            raise InvalidInput(
                _("No colleague of yours has the address %(email)s.") % {"email": address},
                field="email",
            )
    else:
        person = (
            _colleagues(ticket).filter(pk=int(chosen)).first()
            if row_id(chosen) is not None
            else None
        )
    if person is None:
        raise InvalidInput(_("Choose a colleague to share the request with."), field="user")
    services.participant_add(ticket=ticket, actor=request.user, person=person)
    messages.success(request, _("The request is now shared with %(name)s.") % {"name": person})
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def participant_remove(
    request: AuthenticatedHttpRequest, reference: str, user_id: int
) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    participant = get_object_or_404(ticket.participants.select_related("user"), user_id=user_id)
    services.participant_remove(ticket=ticket, actor=request.user, person=participant.user)
    if participant.user_id == request.user.pk:
        messages.success(request, _("The request is no longer shared with you."))
        return redirect("portal:requests")
    messages.success(
        request, _("The request is no longer shared with %(name)s.") % {"name": participant.user}
    )
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def quote_answer(request: AuthenticatedHttpRequest, reference: str, quote_id: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    quote = get_object_or_404(ticket.quotes, pk=quote_id)
    decision = request.POST.get("decision")
    if decision not in ("accept", "decline"):
        raise InvalidInput(_("Accept or decline the quote."), field="decision")
    services.quote_answer(quote=quote, actor=request.user, is_accepted=decision == "accept")
    if decision == "accept":
        messages.success(request, _("You accepted the quote."))
    else:
        messages.success(request, _("You declined the quote."))
    return redirect("portal:request", reference=ticket.reference)


@require_POST
@login_required
@refusals_as_messages("portal:request")
def feedback_give(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(request.user, reference)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, ticket, feedback_form=form, status=400)
    services.feedback_give(
        ticket=ticket,
        actor=request.user,
        rating=form.cleaned_data["rating"],
        message=form.cleaned_data["message"],
    )
    messages.success(request, _("Thank you for your feedback."))
    return redirect("portal:request", reference=ticket.reference)


@login_required
def request_record(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The whole record as one printable page (docs/requirements.md#request-life, R12);
    ``?download=1`` gives it as a self-contained HTML file."""
    ticket = _ticket(request, reference)
    back_url = reverse("portal:request", args=[ticket.reference])
    page = record_build(request.user, ticket, audience=Audience.CUSTOMER, back_url=back_url)
    return record_response(request, page, download=request.GET.get("download") == "1")
