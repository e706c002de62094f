"""Tickets through the API: the same selectors and services as the portal and the workspace.

No rule lives here: the list is ``ticket_queryset_for_user`` narrowed by filters, a ticket is
``ticket_get_for_user`` (404 for what one may not see), and every change is a service call
(status changes through the workflow gate), so events, notifications and SLA effects are the
web's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from supportal.accounts.models import User
from supportal.api.base import user_of
from supportal.api.detail import comment_created, fresh, ticket_for_change
from supportal.api.schemas import (
    AssignIn,
    CommentIn,
    CommentOut,
    ParticipantIn,
    Problem,
    TicketCreateIn,
    TicketDetailOut,
    TicketPage,
    TransitionIn,
)
from supportal.core.errors import InvalidInput, NotFound
from supportal.core.files import download_response
from supportal.desks.models import Desk, Priority, Product, RequestType
from supportal.search.selectors import ticket_search
from supportal.tickets import services, workflow
from supportal.tickets.models import Participant, Quote, SubmissionMethod, Ticket
from supportal.tickets.selectors import (
    attachment_get_for_user,
    colleague_queryset,
    product_queryset_for_customer,
    ticket_queryset_for_user,
)
from supportal.webhooks.payloads import ticket_data

router = Router(tags=["tickets"])
M = TypeVar("M", bound=Model)

PAGE_MAX = 100
ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem}
LIST_RELATED = (
    "desk",
    "requester",
    "organization",
    "assignee",
    "priority",
    "request_type",
    "product",
)


# -- the list -------------------------------------------------------------------------------


class TicketFilters(Schema):
    status: list[str] = Field(default_factory=list, description="One or more statuses.")
    desk: str | None = Field(None, description="A desk's key.")
    assignee: str | None = Field(None, description="An agent's id, `me` or `none`.")
    company: int | None = Field(None, description="A company's id.")
    updated_since: dt.datetime | None = None
    q: str | None = Field(None, description="Search words (as the search box).")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=PAGE_MAX)


def _cursor_encode(ticket: Ticket) -> str:
    raw = f"{ticket.updated_at.isoformat()}|{ticket.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|", 1)
        parsed = parse_datetime(moment)
        if parsed is None:
            raise ValueError(moment)
        return parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("The cursor is not one this list gave: start again without it."), field="cursor"
        ) from exc


def _filtered(user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = ticket_queryset_for_user(user)
    if filters.status:
        unknown = [s for s in filters.status if s not in workflow.Status.values]
        if unknown:
            raise InvalidInput(
                _("There is no status %(status)s.") % {"status": ", ".join(unknown)},
                field="status",
            )
        tickets = tickets.filter(status__in=filters.status)
    if filters.desk:
        tickets = tickets.filter(desk__key=filters.desk.upper())
    if filters.assignee:
        if filters.assignee == "me":
            tickets = tickets.filter(assignee=user)
        elif filters.assignee == "none":
            tickets = tickets.filter(assignee__isnull=True)
        elif filters.assignee.isdigit():
            tickets = tickets.filter(assignee_id=int(filters.assignee))
        else:
            raise InvalidInput(
                _("The assignee is an agent's id, “me” or “none”."), field="assignee"
            )
    if filters.company is not None:
        tickets = tickets.filter(organization_id=filters.company)
    if filters.updated_since is not None:
        tickets = tickets.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        tickets = ticket_search(user, filters.q, tickets)
    return tickets


@router.get("/tickets", response={200: TicketPage, **ERRORS}, url_name="ticket_list")
def ticket_list(request: HttpRequest, filters: Query[TicketFilters]) -> dict:
    """The requests you may see, most recently updated first, a page at a time.

    Pages follow a cursor (`next_cursor`), so a list that changes while you read it neither
    repeats nor skips a request. The number of database queries does not grow with the page.
    """
    user = user_of(request)
    tickets = _filtered(user, filters).select_related(*LIST_RELATED)
    if filters.cursor:
        moment, pk = _cursor_decode(filters.cursor)
        tickets = tickets.filter(Q(updated_at__lt=moment) | Q(updated_at=moment, pk__lt=pk))
    page = list(tickets.order_by("-updated_at", "-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [ticket_data(ticket) for ticket in page],
        "next_cursor": _cursor_encode(page[-1]) if more and page else None,
    }


# -- one ticket -----------------------------------------------------------------------------


@router.get("/tickets/{reference}", response={200: TicketDetailOut, **ERRORS}, url_name="ticket")
def ticket_get(request: HttpRequest, reference: str) -> dict:
    """One request with its comments (internal notes only for the desk's agents), attachments,
    events, SLA state and the workflow actions you may take now. Its `ETag` header (also
    `version`) is what `If-Match` on a change compares."""
    return fresh(request, reference)


def _optional(pk: int | None, field: str, queryset: QuerySet[M]) -> M | None:
    """The chosen row among ``queryset`` (the choices this person has), or a clear refusal."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("There is no such choice: %(id)s.") % {"id": pk}, field=field)
    return found


def _requester(actor: User, body: TicketCreateIn) -> User:
    if not (actor.is_agent or actor.is_superuser):
        if body.requester_id not in (None, actor.pk) or (
            body.requester_email and body.requester_email.strip().lower() != actor.email
        ):
            raise InvalidInput(
                _("Customers open requests only for themselves."), field="requester_id"
            )
        return actor
    customers = User.objects.filter(is_agent=False, is_superuser=False, is_active=True)
    if body.requester_id is not None:
        found = customers.filter(pk=body.requester_id).first()
    elif body.requester_email:
        found = customers.filter(email__iexact=body.requester_email.strip()).first()
    else:
        raise InvalidInput(
            _("Name the customer the request is for: requester_id or requester_email."),
            field="requester_id",
        )
    if found is None:
        raise InvalidInput(
            _("There is no such customer. Register them first (POST /api/v1/customers)."),
            field="requester_id",
        )
    return found


@router.post("/tickets", response={201: TicketDetailOut, **ERRORS}, url_name="ticket_create")
def ticket_create(request: HttpRequest, body: TicketCreateIn) -> Status:
    """Open a request: customers for themselves, agents on a customer's behalf."""
    user = user_of(request)
    desk = Desk.objects.filter(key=body.desk.upper(), is_active=True).first()
    if desk is None:
        raise InvalidInput(_("There is no desk %(key)s.") % {"key": body.desk}, field="desk")
    requester = _requester(user, body)
    is_agent = user.is_agent or user.is_superuser
    method = SubmissionMethod.API
    if is_agent and body.submission_method:
        if body.submission_method not in SubmissionMethod.values:
            raise InvalidInput(_("There is no such submission method."), field="submission_method")
        method = SubmissionMethod(body.submission_method)
    products = (
        Product.objects.filter(is_active=True, desks=desk)
        if is_agent
        else product_queryset_for_customer(user, desk=desk)
    )
    ticket = services.ticket_create(
        desk=desk,
        requester=requester,
        actor=user,
        summary=body.summary,
        details=body.details,
        submission_method=method,
        product=_optional(body.product_id, "product_id", products),
        request_type=_optional(
            body.request_type_id,
            "request_type_id",
            RequestType.objects.filter(desk=desk, is_active=True),
        ),
        priority=_optional(body.priority_id, "priority_id", Priority.objects.all()),
        contact_phone=body.contact_phone,
        custom_fields=body.custom_fields,
    )
    return Status(201, fresh(request, ticket.reference))


@router.post(
    "/tickets/{reference}/actions/{action}",
    response={200: TicketDetailOut, **ERRORS},
    url_name="ticket_action",
)
def ticket_action(request: HttpRequest, reference: str, action: str, body: TransitionIn) -> dict:
    """Take a workflow action (take, start, request_info, wait_for_third_party,
    third_party_answered, resolve, customer_resolve, cancel, close, ...), through the same
    workflow gate as the web. `allowed_actions` on the ticket lists the ones you may take."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    if action not in {a.value for a in workflow.Action}:
        raise NotFound(_("There is no action %(action)s.") % {"action": action})
    services.ticket_transition(
        ticket=ticket,
        actor=user,
        action=workflow.Action(action),
        comment=body.comment,
        reason=body.reason,
        third_party=body.third_party,
        resolution=body.resolution,
    )
    return fresh(request, reference)


@router.post(
    "/tickets/{reference}/comments",
    response={201: CommentOut, **ERRORS},
    url_name="ticket_comment",
)
def ticket_comment(request: HttpRequest, reference: str, body: CommentIn) -> Status:
    """Comment: agents publicly or as an internal note; customers always publicly (a reply to a
    request waiting for them sends it back to support, as in the portal)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    is_agent = user.is_agent or user.is_superuser
    if not body.is_public and not is_agent:
        raise InvalidInput(_("Only the support team writes internal notes."), field="is_public")
    comment = services.ticket_comment_add(
        ticket=ticket,
        author=user,
        body=body.body,
        is_public=body.is_public,
        via=SubmissionMethod.API,
    )
    return Status(*comment_created(request, ticket, comment))


@router.post(
    "/tickets/{reference}/assign", response={200: TicketDetailOut, **ERRORS}, url_name="assign"
)
def ticket_assign(request: HttpRequest, reference: str, body: AssignIn) -> dict:
    """Give the request to an agent of its desk (team leads: anyone; agents: themselves)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    assignee = None
    if body.assignee_id is not None:
        assignee = User.objects.filter(pk=body.assignee_id, is_active=True).first()
        if assignee is None:
            raise InvalidInput(_("There is no such agent."), field="assignee_id")
    services.ticket_assign(ticket=ticket, actor=user, assignee=assignee)
    return fresh(request, reference)


@router.post(
    "/tickets/{reference}/participants",
    response={200: TicketDetailOut, **ERRORS},
    url_name="participant_add",
)
def ticket_participant_add(request: HttpRequest, reference: str, body: ParticipantIn) -> dict:
    """Share the request: customers with a colleague, agents with anyone (by address)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    is_agent = user.is_agent or user.is_superuser
    if is_agent and body.email:
        services.participant_add_by_email(ticket=ticket, actor=user, email=body.email)
    else:
        people = (
            User.objects.filter(is_active=True, is_agent=False, is_superuser=False)
            if is_agent
            else colleague_queryset(user)
        )
        if body.user_id is not None:
            person = people.filter(pk=body.user_id).first()
        elif body.email:
            person = people.filter(email__iexact=body.email.strip()).first()
        else:
            raise InvalidInput(_("Name the person: user_id or email."), field="user_id")
        if person is None:
            raise InvalidInput(_("There is no such person to share with."), field="user_id")
        services.participant_add(ticket=ticket, actor=user, person=person)
    return fresh(request, reference)


@router.delete(
    "/tickets/{reference}/participants/{user_id}",
    response={200: TicketDetailOut, **ERRORS},
    url_name="participant_remove",
)
def ticket_participant_remove(request: HttpRequest, reference: str, user_id: int) -> dict:
    """Stop sharing: agents and the requester remove anyone, others themselves."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    participant = (
        Participant.objects.filter(ticket=ticket, user_id=user_id).select_related("user").first()
    )
    if participant is None:
        raise NotFound(_("This person is not a participant."))
    services.participant_remove(ticket=ticket, actor=user, person=participant.user)
    return fresh(request, reference)


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    url_name="attachment_download",
)
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """Download a file, after the same permission check as the web's `/files/<id>/`."""
    attachment = attachment_get_for_user(user_of(request), attachment_id)
    return download_response(attachment.file, file_name=attachment.file_name)


class FeedbackIn(Schema):
    rating: int = Field(description="1 (poor) to 5 (excellent).")
    message: str = ""


@router.post(
    "/tickets/{reference}/feedback", response={200: TicketDetailOut, **ERRORS}, url_name="feedback"
)
def ticket_feedback(request: HttpRequest, reference: str, body: FeedbackIn) -> dict:
    """Rate the handling of a resolved or closed request (its requester), as in the portal."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    services.feedback_give(ticket=ticket, actor=user, rating=body.rating, message=body.message)
    return fresh(request, reference)


class MuteIn(Schema):
    is_muted: bool = Field(description="True: no mail about this request's updates.")


@router.post(
    "/tickets/{reference}/notifications", response={200: TicketDetailOut, **ERRORS}, url_name="mute"
)
def ticket_mute(request: HttpRequest, reference: str, body: MuteIn) -> dict:
    """Stop or resume mail about this request's updates for yourself (as the portal's switch)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    services.ticket_mute_set(ticket=ticket, user=user, is_muted=body.is_muted)
    return fresh(request, reference)


class QuoteIn(Schema):
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="The price.")
    currency: str = Field("RON", min_length=3, max_length=3, description="ISO 4217 code.")
    deadline: dt.date | None = Field(None, description="When the work would be done.")
    note: str = Field("", max_length=2000)


@router.post(
    "/tickets/{reference}/quotes",
    response={200: TicketDetailOut, **ERRORS},
    url_name="quote_propose",
)
def ticket_quote_propose(request: HttpRequest, reference: str, body: QuoteIn) -> dict:
    """Propose a price and a deadline for the work (the desk's agents); an unanswered quote is
    withdrawn. The requester is told, as from the workspace."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    services.quote_propose(
        ticket=ticket,
        actor=user,
        price=body.price,
        currency=body.currency,
        deadline=body.deadline,
        note=body.note,
    )
    return fresh(request, reference)


class QuoteAnswerIn(Schema):
    is_accepted: bool


@router.post(
    "/tickets/{reference}/quotes/{quote_id}/answer",
    response={200: TicketDetailOut, **ERRORS},
    url_name="quote_answer",
)
def ticket_quote_answer(
    request: HttpRequest, reference: str, quote_id: int, body: QuoteAnswerIn
) -> dict:
    """Accept or decline a proposed quote (the requester only)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    quote = Quote.objects.filter(ticket=ticket, pk=quote_id).first()
    if quote is None:
        raise NotFound(_("There is no such quote."))
    services.quote_answer(quote=quote, actor=user, is_accepted=body.is_accepted)
    return fresh(request, reference)


class SearchQuery(Schema):
    q: str = Field(description="Search words, as in the search box.")
    limit: int = Field(25, ge=1, le=PAGE_MAX)


@router.get("/search", response={200: TicketPage, **ERRORS}, url_name="search")
def search(request: HttpRequest, query: Query[SearchQuery]) -> dict:
    """Requests matching the words, best match first (customers match public text only)."""
    user = user_of(request)
    found = ticket_search(user, query.q).select_related(*LIST_RELATED)[: query.limit]
    return {"items": [ticket_data(ticket) for ticket in found], "next_cursor": None}
