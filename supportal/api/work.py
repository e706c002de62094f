"""Canned replies, saved views and company contacts through the API (docs/api.md#endpoints).

The same selectors as the workspace and the company pages: canned replies and saved views are
the support team's (a customer's token sees an empty list, one reply or view is 404), contacts
are a company's directory as its customer admin sees it in the portal and the support team in
the workspace (anyone else: 404). Changes go through ``company.services``.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from supportal.accounts.models import Contact
from supportal.api.base import user_of
from supportal.api.detail import comment_created, ticket_for_change
from supportal.api.schemas import CommentOut, Problem
from supportal.company import selectors as company_selectors
from supportal.company import services as company_services
from supportal.core.errors import NotFound
from supportal.replies.models import CannedReply
from supportal.replies.placeholders import PlaceholderValues
from supportal.replies.selectors import (
    canned_replies_for_ticket,
    canned_reply_list_for_user,
    canned_reply_render,
    saved_view_list_for_user,
)
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod
from supportal.tickets.selectors import ticket_get_for_user
from supportal.webhooks.payloads import person_data

router = Router()

ERRORS = {
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    412: Problem,
    422: Problem,
    429: Problem,
}
LIST_MAX = 200


class CannedReplyOut(Schema):
    id: int
    desk: str = Field(description="The desk's key.")
    title: str
    body: str = Field(description="As written, with its {placeholders}.")
    is_active: bool


class CannedReplyFilledOut(Schema):
    id: int
    title: str
    text: str = Field(description="The text with the placeholders filled in for this request.")


class CannedQuery(Schema):
    desk: str | None = Field(None, description="A desk's key.")


def _canned(reply: CannedReply) -> dict:
    return {
        "id": reply.pk,
        "desk": reply.desk.key,
        "title": reply.title,
        "body": reply.body,
        "is_active": reply.is_active,
    }


@router.get("/canned-replies", response={200: list[CannedReplyOut], **ERRORS}, tags=["agents"])
def canned_reply_list(request: HttpRequest, query: Query[CannedQuery]) -> list[dict]:
    """The canned replies of the desks you work (support team; customers get none)."""
    replies = canned_reply_list_for_user(user_of(request))
    if query.desk:
        replies = replies.filter(desk__key=query.desk.upper())
    return [_canned(r) for r in replies.order_by("desk__key", "title", "pk")[:LIST_MAX]]


@router.get(
    "/tickets/{reference}/canned-replies",
    response={200: list[CannedReplyFilledOut], **ERRORS},
    tags=["agents"],
)
def canned_reply_for_ticket(request: HttpRequest, reference: str) -> list[dict]:
    """The active canned replies of the request's desk, filled in for it, in its requester's
    language (what the workspace's reply box inserts)."""
    user = user_of(request)
    ticket = ticket_get_for_user(user, reference)
    values = PlaceholderValues(ticket=ticket, agent=user)
    return [
        {
            "id": r.pk,
            "title": r.title,
            "text": canned_reply_render(r, ticket=ticket, agent=user, values=values),
        }
        for r in canned_replies_for_ticket(user, ticket).order_by("title", "pk")
    ]


class CannedUseIn(Schema):
    is_public: bool = Field(True, description="False: add it as an internal note.")


@router.post(
    "/tickets/{reference}/canned-replies/{reply_id}/send",
    response={201: CommentOut, **ERRORS},
    tags=["agents"],
)
def canned_reply_send(
    request: HttpRequest, reference: str, reply_id: int, body: CannedUseIn
) -> Status:
    """Answer with a canned reply, filled in for this request (as writing its text)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    reply = canned_replies_for_ticket(user, ticket).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(_("There is no such canned reply for this request."))
    comment = services.ticket_comment_add(
        ticket=ticket,
        author=user,
        body=canned_reply_render(reply, ticket=ticket, agent=user),
        is_public=body.is_public,
        via=SubmissionMethod.API,
    )
    return Status(*comment_created(request, ticket, comment))


class SavedViewOut(Schema):
    id: int
    name: str
    desk: str | None = Field(description="The desk it is shared with; null: your own.")
    owner: dict | None
    params: dict = Field(description="The workspace queue's parameters (lists of strings).")


@router.get("/saved-views", response={200: list[SavedViewOut], **ERRORS}, tags=["agents"])
def saved_view_list(request: HttpRequest) -> list[dict]:
    """Your saved queue views and those shared with your desks (support team)."""
    views = saved_view_list_for_user(user_of(request)).select_related("owner")
    return [
        {
            "id": v.pk,
            "name": v.name,
            "desk": v.desk.key if v.desk else None,
            "owner": person_data(v.owner),
            "params": v.params or {},
        }
        for v in views.order_by("name", "pk")[:LIST_MAX]
    ]


# -- contacts ---------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    company_id: int
    first_name: str
    last_name: str
    gender: str
    title: str
    email: str
    mobile: str
    function: str
    is_active: bool
    user_id: int | None = Field(description="The person's account, when they have one.")


class ContactIn(Schema):
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    gender: Literal["", "f", "m", "o"] = Field("", description="f, m, o or empty.")
    title: str = Field("", max_length=60)
    email: str = Field("", max_length=254)
    mobile: str = Field("", max_length=40)
    function: str = Field("", max_length=120)


class ContactQuery(Schema):
    q: str = Field("", description="Words of a name, e-mail, mobile or function.")
    state: str = Field("", description="`active`, `inactive` or empty for both.")
    limit: int = Field(50, ge=1, le=LIST_MAX)


def _contact(contact: Contact) -> dict:
    return {
        "id": contact.pk,
        "company_id": contact.organization_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "gender": contact.gender,
        "title": contact.title,
        "email": contact.email,
        "mobile": contact.mobile,
        "function": contact.function,
        "is_active": contact.is_active,
        "user_id": contact.user_id,
    }


@router.get(
    "/companies/{company_id}/contacts",
    response={200: list[ContactOut], **ERRORS},
    tags=["customers"],
)
def contact_list(request: HttpRequest, company_id: int, query: Query[ContactQuery]) -> list[dict]:
    """A company's contacts: its customer admin's own company, or any for the support team."""
    user = user_of(request)
    organization = company_selectors.organization_get_for_user(user, company_id)
    contacts = company_selectors.contact_list_for_user(
        user, organization=organization, query=query.q, state=query.state
    )
    return [_contact(c) for c in contacts[: query.limit]]


@router.post(
    "/companies/{company_id}/contacts", response={201: ContactOut, **ERRORS}, tags=["customers"]
)
def contact_create(request: HttpRequest, company_id: int, body: ContactIn) -> Status:
    user = user_of(request)
    organization = company_selectors.organization_get_for_user(user, company_id)
    contact = company_services.contact_create(
        organization=organization, actor=user, values=body.model_dump()
    )
    return Status(201, _contact(contact))


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, tags=["customers"])
def contact_get(request: HttpRequest, contact_id: int) -> dict:
    return _contact(company_selectors.contact_get_for_user(user_of(request), contact_id))


class ContactChangeIn(ContactIn):
    is_active: bool | None = Field(None, description="False deactivates (the account too).")


@router.put("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, tags=["customers"])
def contact_update(request: HttpRequest, contact_id: int, body: ContactChangeIn) -> dict:
    """Change a contact's details (and `is_active`), recorded in its history as on the page."""
    user = user_of(request)
    contact = company_selectors.contact_get_for_user(user, contact_id)
    values = body.model_dump(exclude={"is_active"})
    contact = company_services.contact_update(contact=contact, actor=user, values=values)
    if body.is_active is not None:
        contact = company_services.contact_set_active(
            contact=contact, actor=user, is_active=body.is_active
        )
    return _contact(contact)
