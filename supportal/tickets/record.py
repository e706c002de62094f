"""The printable record of one request, for both audiences: the customer's "Print or save as
PDF" page (``/requests/<REF>/record/``) and the agent's export (``/agent/tickets/<REF>/export/``)
are the same builder and the same template, ``templates/tickets/record.html``
(docs/requirements.md#request-life, R12; docs/portal.md; docs/workspace.md).

What differs is what the reader may see, and that is decided where everything else decides it:
the events, files and custom fields come through the same selectors and the same timeline
builder as the request's own page, so a customer's record never holds an internal note or a
file they may not download, and an agent's holds them, marked.

``?download=1`` gives a self-contained file: the style inlined, no script, and a Content
Security Policy that lets it run nothing when opened from disk.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from supportal.accounts.models import User
from supportal.desks.choices import custom_fields_kept
from supportal.tickets import selectors
from supportal.tickets.models import Attachment, Feedback, Participant, Quote, Ticket
from supportal.tickets.timeline import Audience, TimelineEntry, timeline_build

STYLESHEET = "supportal/record.css"


@dataclass
class Record:
    ticket: Ticket
    audience: Audience
    timeline: list[TimelineEntry]  # oldest first
    attachments: list[Attachment]
    custom_field_rows: list[tuple[str, object]]
    participants: list[Participant]
    quotes: list[Quote]
    feedback: Feedback | None
    generated_at: datetime
    generated_by: User
    back_url: str

    def context(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def custom_field_rows(ticket: Ticket, *, audience: Audience) -> list[tuple[str, object]]:
    """The request's custom fields as (label, value or choice name), in the desk's order.
    Customers see the fields marked visible to them; agents see every field, and values under
    names no field defines any more follow under their names."""
    values = dict(ticket.custom_fields or {})
    if not values:
        return []
    # The desk's fields, kept per process for its version (docs/performance.md).
    fields = sorted(custom_fields_kept(ticket.desk), key=lambda f: (f.position, f.pk))
    if audience == Audience.CUSTOMER:
        fields = [field for field in fields if field.is_visible_to_customer]
    # A choice shows its name in the reader's language (docs/languages.md#names).
    rows: list[tuple[str, object]] = [
        (
            field.label,
            field.choice_label(values.pop(field.name)) if field.choices else values.pop(field.name),
        )
        for field in fields
        if field.name in values
    ]
    if audience == Audience.AGENT:
        rows += list(values.items())
    return rows


def record_build(
    user: User, ticket: Ticket, *, audience: Audience, back_url: str, now: datetime | None = None
) -> Record:
    """The record of ``ticket`` as ``user`` may see it (the caller has checked they may see the
    ticket at all). Reads a fixed number of queries whatever the request's length."""
    attachments = list(selectors.attachment_queryset_for_user(user, ticket))
    events = selectors.event_list_for_user(user, ticket).order_by("created_at", "pk")
    return Record(
        ticket=ticket,
        audience=audience,
        timeline=timeline_build(events, audience=audience, attachments=attachments),
        attachments=attachments,
        custom_field_rows=custom_field_rows(ticket, audience=audience),
        participants=list(ticket.participants.select_related("user")),
        quotes=list(ticket.quotes.select_related("proposed_by", "answered_by")),
        feedback=Feedback.objects.filter(ticket=ticket).select_related("given_by").first(),
        generated_at=now or timezone.now(),
        generated_by=user,
        back_url=back_url,
    )


def record_response(request: HttpRequest, record: Record, *, download: bool) -> HttpResponse:
    """The record as a page to print, or as a file to keep."""
    context = record.context()
    if download:
        path = finders.find(STYLESHEET)
        with open(str(path), encoding="utf-8") as stylesheet:
            context["inline_css"] = mark_safe(stylesheet.read())  # noqa: S308 - our own file
    response = render(request, "tickets/record.html", context)
    if download:
        reference = record.ticket.reference
        response["Content-Disposition"] = f'attachment; filename="{reference}.html"'
        # Opened from disk it is a document, not our site: its own style only, nothing runs.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        )
    return response
