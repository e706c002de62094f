"""Optimistic concurrency on a ticket: ``ETag`` and ``If-Match`` (docs/api.md#concurrency).

A ticket's *version*, for one person, is the newest event of it they may see: every change a
service makes writes an event, so the version changes exactly when what that person sees of the
ticket's history changes (the workspace's stale-reply guard compares the same thing). A customer's
version does not move for an internal note they cannot see.

A change sent with ``If-Match`` is made only if the version still matches, checked under the
ticket's row lock in the change's own transaction (the API's view wrapper opens it), so two
clients that read the same version cannot both change the ticket: the second gets 412.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.api.errors import ApiProblem
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import event_list_for_user

HEADER = "If-Match"


def etag_of(version: str) -> str:
    return f'"{version}"'


def version_of(ticket: Ticket, last_event_id: int | None) -> str:
    """The version from the newest event id the person sees (0: none)."""
    return f"{ticket.pk}-{last_event_id or 0}"


def current_version(user: User, ticket: Ticket) -> str:
    last = event_list_for_user(user, ticket).order_by("-pk").values_list("pk", flat=True).first()
    return version_of(ticket, last)


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def if_match_check(request: HttpRequest, user: User, ticket: Ticket) -> None:
    """Refuse the change with 412 when ``If-Match`` names another version of the ticket.

    Without the header nothing is checked (a client that does not care keeps working); ``*``
    matches any version. The ticket's row is locked first, so the check and the change that
    follows in the same transaction see the same version.
    """
    header = request.headers.get(HEADER)
    if header is None:
        return
    if transaction.get_connection().in_atomic_block:
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").first()
    tags = _tags(header)
    if "*" in tags:
        return
    version = current_version(user, ticket)
    if etag_of(version) not in tags:
        raise ApiProblem(
            412,
            _(
                "The request %(reference)s changed since you read it. Read it again (GET) and "
                "send your change with its new ETag."
            )
            % {"reference": ticket.reference},
            code="stale",
            headers={"ETag": etag_of(version)},
        )
