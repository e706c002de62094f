"""What the API returns and accepts (pydantic, so the OpenAPI description is generated)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


class PersonOut(Schema):
    id: int
    email: str
    name: str


class NamedOut(Schema):
    id: int
    name: str


class DeskRefOut(Schema):
    id: int
    key: str
    name: str


class TicketOut(Schema):
    reference: str
    summary: str
    status: str
    status_label: str
    desk: DeskRefOut
    requester: PersonOut
    company: NamedOut | None
    assignee: PersonOut | None
    priority: NamedOut | None
    request_type: NamedOut | None
    product: NamedOut | None
    submission_method: str
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


class AttachmentOut(Schema):
    id: int
    file_name: str
    content_type: str
    size: int
    is_internal: bool
    comment_id: int | None
    uploaded_by: PersonOut | None
    created_at: dt.datetime
    download_url: str


class CommentOut(Schema):
    id: int
    author: PersonOut | None
    body: str
    is_public: bool
    via: str
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    kind: str
    actor: PersonOut | None
    is_public: bool
    comment_id: int | None
    data: dict
    created_at: dt.datetime


class SlaGoalOut(Schema):
    goal: str
    name: str
    state: str
    is_overdue: bool
    status_text: str
    deadline_at: dt.datetime | None
    target_seconds: int
    used_seconds: int
    remaining_seconds: int
    overdue_seconds: int


class SlaOut(Schema):
    goals: list[SlaGoalOut]
    reply: SlaGoalOut | None


class QuoteOut(Schema):
    id: int
    price: str
    currency: str
    deadline: dt.date | None
    note: str
    state: str
    created_at: dt.datetime
    answered_at: dt.datetime | None


class TicketDetailOut(TicketOut):
    version: str = Field(
        description="The version you read (also the `ETag` header): send it as "
        '`If-Match: "<version>"` with a change to make it only if nobody changed the request since.'
    )
    details: str
    waiting_reason: str
    waiting_on: str
    resolution: str
    custom_fields: dict
    participants: list[PersonOut]
    comments: list[CommentOut]
    attachments: list[AttachmentOut]
    events: list[EventOut]
    quotes: list[QuoteOut]
    sla: SlaOut | None
    allowed_actions: list[str]


class TicketCreateIn(Schema):
    desk: str = Field(description="The desk's key, e.g. HELP.")
    summary: str
    details: str = ""
    requester_id: int | None = Field(
        None, description="Agents: the customer the request is for (or requester_email)."
    )
    requester_email: str | None = Field(
        None, description="Agents: the customer's e-mail address (an existing customer)."
    )
    submission_method: str | None = Field(
        None, description="Agents: phone, email, portal or api (default api)."
    )
    product_id: int | None = None
    request_type_id: int | None = None
    priority_id: int | None = None
    contact_phone: str = ""
    custom_fields: dict = Field(default_factory=dict)


class TransitionIn(Schema):
    comment: str = ""
    reason: str = ""
    third_party: str = ""
    resolution: str = ""


class CommentIn(Schema):
    body: str
    is_public: bool = Field(True, description="Agents: false makes an internal note.")


class AssignIn(Schema):
    assignee_id: int | None = Field(description="An agent of the desk, or null for nobody.")


class ParticipantIn(Schema):
    user_id: int | None = None
    email: str | None = Field(None, description="Agents: any address; customers: a colleague's.")


class DeskOut(Schema):
    id: int
    key: str
    name: str
    is_active: bool
    summary_max_length: int
    attachment_max_bytes: int
    request_types: list[NamedOut]
    products: list[NamedOut]


class PriorityOut(Schema):
    id: int
    name: str
    rank: int
    is_default: bool


class CustomerOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    company: NamedOut | None
    is_customer_admin: bool
    is_active: bool
    has_password: bool
    language: str = Field(description="Their own choice; empty: the company's or the site's.")
    time_zone: str


class CustomerChangeIn(Schema):
    """Only the fields sent change (PATCH)."""

    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    phone: str | None = Field(None, max_length=40)
    language: str | None = Field(None, description="A site language code, or empty.")
    time_zone: str | None = Field(None, description="An IANA time zone name, or empty.")
    is_customer_admin: bool | None = Field(
        None, description="Needs the administrators' permission to change people."
    )


class CustomerIn(Schema):
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    company_id: int | None = None
    new_company: str = Field("", description="Name a company to create (or find by name).")
    language: str = ""
    invite: bool = Field(True, description="Send the invitation mail to set a password.")


class CompanyOut(Schema):
    id: int
    name: str
    registration_number: str
    is_active: bool
    language: str
    time_zone: str
    shares_requests: bool
    shares_attachments: bool


class CompanyChangeIn(Schema):
    """Only the fields sent change (PATCH)."""

    name: str | None = Field(None, max_length=200)
    registration_number: str | None = Field(None, max_length=40)
    language: str | None = Field(None, description="A site language code, or empty.")
    time_zone: str | None = Field(None, description="An IANA time zone name, or empty.")
    shares_requests: bool | None = None
    shares_attachments: bool | None = None


class CompanyIn(Schema):
    name: str
    registration_number: str = ""
