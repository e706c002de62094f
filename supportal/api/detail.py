"""One ticket as the API returns it, with its version (``ETag``), for the person asking.

Read through the same selectors as the web: comments, attachments and events the person may
see; internal custom fields and the third party waited on only for the support team.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from supportal.accounts.models import User
from supportal.api.base import user_of
from supportal.api.concurrency import current_version, etag_of, if_match_check, version_of
from supportal.sla.selectors import GoalLine, sla_panel_for
from supportal.tickets import workflow
from supportal.tickets.models import Attachment, Comment, Participant, Quote, Ticket
from supportal.tickets.selectors import (
    attachment_queryset_for_user,
    comment_list_for_user,
    event_list_for_user,
    ticket_get_for_user,
    ticket_roles,
)
from supportal.webhooks.payloads import person_data, ticket_data


def fresh(request: HttpRequest, reference: str) -> dict:
    """The ticket read again (after a change) for the caller; its ETag goes on the answer."""
    user = user_of(request)
    data = ticket_detail(user, ticket_get_for_user(user, reference))
    request.api_etag = etag_of(data["version"])  # type: ignore[attr-defined]
    return data


def etag_set(request: HttpRequest, ticket: Ticket) -> None:
    """Put the ticket's current version (for the caller) on the answer as its ETag: for the
    changes that answer something else than the ticket (a comment, its files)."""
    request.api_etag = etag_of(current_version(user_of(request), ticket))  # type: ignore[attr-defined]


def ticket_for_change(request: HttpRequest, reference: str) -> Ticket:
    """The ticket the caller may see (404 otherwise), refused with 412 when ``If-Match`` names
    an older version (docs/api.md#concurrency)."""
    user = user_of(request)
    ticket = ticket_get_for_user(user, reference)
    if_match_check(request, user, ticket)
    return ticket


def attachment_data(a: Attachment) -> dict:
    return {
        "id": a.pk,
        "file_name": a.file_name,
        "content_type": a.content_type,
        "size": a.size,
        "is_internal": a.is_internal,
        "comment_id": a.comment_id,
        "uploaded_by": person_data(a.uploaded_by),
        "created_at": a.created_at,
        "download_url": reverse("api-v1:attachment_download", args=[a.pk]),
    }


def _goal(line: GoalLine | None) -> dict | None:
    if line is None:
        return None
    return {
        "goal": line.goal,
        "name": line.name,
        "state": line.state,
        "is_overdue": line.is_overdue,
        "status_text": line.status_text,
        "deadline_at": line.deadline_at,
        "target_seconds": int(line.target_duration.total_seconds()),
        "used_seconds": int(line.used_duration.total_seconds()),
        "remaining_seconds": int(line.remaining_duration.total_seconds()),
        "overdue_seconds": int(line.overdue_duration.total_seconds()),
    }


def ticket_detail(user: User, ticket: Ticket) -> dict:
    roles = ticket_roles(user, ticket)
    is_support = bool({workflow.Role.AGENT, workflow.Role.TEAM_LEAD} & roles)
    panel = sla_panel_for(ticket, user)
    custom_fields = dict(ticket.custom_fields or {})
    if not is_support:
        hidden = set(
            ticket.desk.custom_fields.filter(is_visible_to_customer=False).values_list(
                "name", flat=True
            )
        )
        custom_fields = {key: value for key, value in custom_fields.items() if key not in hidden}
    events = _events(user, ticket)
    data = ticket_data(ticket)
    data.update(
        version=version_of(ticket, max((e["id"] for e in events), default=None)),
        details=ticket.details,
        waiting_reason=ticket.waiting_reason,
        waiting_on=ticket.waiting_on if is_support else "",
        resolution=ticket.resolution,
        custom_fields=custom_fields,
        participants=[
            person_data(p.user)
            for p in Participant.objects.filter(ticket=ticket).select_related("user")
        ],
        comments=_comments(user, ticket),
        attachments=[
            attachment_data(a)
            for a in attachment_queryset_for_user(user, ticket).order_by("created_at", "pk")
        ],
        events=events,
        quotes=_quotes(ticket),
        sla=None
        if panel is None
        else {"goals": [_goal(g) for g in panel.goals], "reply": _goal(panel.reply)},
        allowed_actions=[
            str(a) for a in workflow.allowed_actions(workflow.Status(ticket.status), roles)
        ],
    )
    return data


def _events(user: User, ticket: Ticket) -> list[dict]:
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "actor": person_data(e.actor),
            "is_public": e.is_public,
            "comment_id": e.comment_id,
            "data": e.data,
            "created_at": e.created_at,
        }
        for e in event_list_for_user(user, ticket).order_by("created_at", "pk")
    ]


def _comments(user: User, ticket: Ticket) -> list[dict]:
    return [
        {
            "id": c.pk,
            "author": person_data(c.author),
            "body": c.body,
            "is_public": c.is_public,
            "via": c.via,
            "created_at": c.created_at,
        }
        for c in comment_list_for_user(user, ticket).order_by("created_at", "pk")
    ]


def _quotes(ticket: Ticket) -> list[dict]:
    return [
        {
            "id": q.pk,
            "price": str(q.price),
            "currency": q.currency,
            "deadline": q.deadline,
            "note": q.note,
            "state": q.state,
            "created_at": q.created_at,
            "answered_at": q.answered_at,
        }
        for q in Quote.objects.filter(ticket=ticket).order_by("created_at", "pk")
    ]


def comment_created(
    request: HttpRequest, ticket: Ticket, comment: Comment, *, with_files: bool = False
) -> tuple[int, dict]:
    """The answer to a comment added through the API (201, the comment, the ticket's new ETag):
    the same for a plain comment, a canned reply sent, and files uploaded with a comment."""
    etag_set(request, ticket)
    data: dict = {
        "id": comment.pk,
        "author": person_data(comment.author),
        "body": comment.body,
        "is_public": comment.is_public,
        "via": comment.via,
        "created_at": comment.created_at,
    }
    if with_files:
        data["attachments"] = [attachment_data(a) for a in comment.attachments.order_by("pk")]
    return 201, data
