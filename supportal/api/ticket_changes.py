"""Changing a ticket's fields and attaching files through the API (docs/api.md#endpoints).

Both go through the web's services: ``ticket_fields_change`` (agents only, one event per field
that changed, custom fields checked like on creation) and ``ticket_comment_add`` with the files,
after ``attachments_check`` (the desk's size and file-name limits, as the portal's form).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Schema, Status, UploadedFile
from pydantic import Field

from supportal.api.base import user_of
from supportal.api.detail import (
    comment_created,
    fresh,
    ticket_for_change,
)
from supportal.api.schemas import AttachmentOut, CommentOut, Problem, TicketDetailOut
from supportal.api.tickets import router
from supportal.core.errors import InvalidInput
from supportal.desks.models import Priority, RequestType
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod, Ticket

# On the tickets router: PATCH /tickets/{reference} shares its path with the GET there.

ERRORS = {
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    412: Problem,
    422: Problem,
    429: Problem,
}


class FieldsIn(Schema):
    """Only the fields sent change; `null` clears priority, request type or product."""

    priority_id: int | None = None
    request_type_id: int | None = None
    product_id: int | None = None
    summary: str | None = None
    contact_phone: str | None = None
    custom_fields: dict[str, str | int | float | None] | None = Field(
        None, description="Values by field name; fields not named keep their values."
    )


def _choice(ticket: Ticket, name: str, pk: int | None) -> object:
    if pk is None:
        return None
    choices = {
        "priority": Priority.objects.all(),
        "request_type": RequestType.objects.filter(desk_id=ticket.desk_id, is_active=True),
        "product": ticket.desk.products.filter(is_active=True),
    }[name]
    found = choices.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(_("There is no such choice: %(id)s.") % {"id": pk}, field=f"{name}_id")
    return found


@router.patch("/tickets/{reference}", response={200: TicketDetailOut, **ERRORS}, url_name="fields")
def ticket_fields(request: HttpRequest, reference: str, body: FieldsIn) -> dict:
    """Change priority, request type, product, summary, contact phone or custom fields (the
    support team; closed and cancelled requests no longer change). One event per field that
    really changed, as in the workspace."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    sent = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in ("priority", "request_type", "product"):
        if f"{name}_id" in sent:
            changes[name] = _choice(ticket, name, sent[f"{name}_id"])
    for name in ("summary", "contact_phone"):
        if sent.get(name) is not None:
            changes[name] = sent[name]
    if sent.get("custom_fields") is not None:
        changes["custom_fields"] = sent["custom_fields"]
    services.ticket_fields_change(ticket=ticket, actor=user, **changes)
    return fresh(request, reference)


class UploadOut(CommentOut):
    attachments: list[AttachmentOut]


@router.post(
    "/tickets/{reference}/attachments",
    response={201: UploadOut, **ERRORS},
    url_name="attachment_upload",
)
def ticket_attach(
    request: HttpRequest,
    reference: str,
    files: File[list[UploadedFile]],
    body: Form[str] = "",
    is_public: Form[bool] = True,
) -> Status:
    """Attach files (`multipart/form-data`, one or more `files`), with an optional comment
    `body`: the desk's size and file-name limits apply (`GET /desks` lists them) and an empty
    file is refused. Agents may attach to an internal note (`is_public=false`)."""
    user = user_of(request)
    ticket = ticket_for_change(request, reference)
    if not is_public and not (user.is_agent or user.is_superuser):
        raise InvalidInput(_("Only the support team writes internal notes."), field="is_public")
    attachments = [services.NewAttachment(file=upload) for upload in files]
    if not attachments:
        raise InvalidInput(_("Choose at least one file."), field="files")
    services.attachments_check(desk=ticket.desk, files=attachments)
    comment = services.ticket_comment_add(
        ticket=ticket,
        author=user,
        body=body,
        is_public=is_public,
        via=SubmissionMethod.API,
        attachments=attachments,
    )
    return Status(*comment_created(request, ticket, comment, with_files=True))
