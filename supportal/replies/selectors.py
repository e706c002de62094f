"""Reads for canned replies and saved views, with the desk permissions built in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import translation

from supportal.accounts.models import User
from supportal.accounts.selectors import StaffKind, staff_kind, staff_stand_in
from supportal.core.errors import NotFound
from supportal.core.statements import KeptStatement
from supportal.desks.models import DeskMembership, DeskRole
from supportal.replies.models import CannedReply, SavedView, SubmissionToken
from supportal.replies.placeholders import PlaceholderValues, placeholders_fill
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import desk_ids_for_agent, desk_roles


def _desk_filter(user: User, field: str = "desk_id") -> Q:
    desk_ids = desk_ids_for_agent(user)
    return Q() if desk_ids is None else Q(**{f"{field}__in": desk_ids})


def is_team_lead_of(user: User, desk_id: int) -> bool:
    """Team leads of the desk and administrators manage its canned replies."""
    if user.is_superuser:
        return True
    return (
        user.is_agent
        and DeskMembership.objects.filter(
            desk_id=desk_id, user=user, role=DeskRole.TEAM_LEAD
        ).exists()
    )


def canned_reply_list_for_user(user: User) -> QuerySet[CannedReply]:
    """Every canned reply of the desks this agent works (administrators: all)."""
    if not (user.is_agent or user.is_superuser):
        return CannedReply.objects.none()
    return CannedReply.objects.filter(_desk_filter(user)).select_related("desk")


def canned_reply_get_for_user(user: User, reply_id: int) -> CannedReply:
    reply = canned_reply_list_for_user(user).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound()
    return reply


def canned_replies_for_ticket(user: User, ticket: Ticket) -> QuerySet[CannedReply]:
    """The active replies of the ticket's desk, for an agent who works that desk."""
    return canned_reply_list_for_user(user).filter(desk_id=ticket.desk_id, is_active=True)


def _canned_rows_build(
    desk_ids: tuple[int, ...] | None, values: Mapping[str, Any]
) -> QuerySet[CannedReply]:
    replies = CannedReply.objects.select_related("desk")
    if desk_ids is not None:
        replies = replies.filter(desk_id__in=desk_ids)
    return replies.filter(desk_id=values["desk_id"], is_active=True)


# Compiled once per process for each set of desks (core/statements.py; docs/performance.md,
# "Tenth round: the request page and the ticket page").
_CANNED_ROWS = KeptStatement(_canned_rows_build)


def canned_reply_rows_for_ticket(user: User, ticket: Ticket) -> list[CannedReply]:
    """``canned_replies_for_ticket``'s rows: the same conditions, compiled once per process."""
    if not (user.is_agent or user.is_superuser):
        return []
    desk_ids = desk_ids_for_agent(user)
    shape = None if desk_ids is None else tuple(sorted(desk_ids))
    if shape == ():
        return []
    return _CANNED_ROWS.rows(shape, {"desk_id": ticket.desk_id})


def canned_reply_render(
    reply: CannedReply, *, ticket: Ticket, agent: User, values: PlaceholderValues | None = None
) -> str:
    """The reply's text with its placeholders filled in (``replies.placeholders``); unknown
    braces are left as they are. The text is the one typed in the requester's language, the
    language the reply goes out in (else the site's: docs/languages.md#names). Pass one
    ``values`` to every reply of a page so each value is read once."""
    values = values or PlaceholderValues(ticket=ticket, agent=agent)
    with translation.override(values.language):
        text = reply.body
    return placeholders_fill(text, values)


def saved_view_list_for_user(user: User) -> QuerySet[SavedView]:
    """The agent's personal views and the views shared with their desks."""
    if not (user.is_agent or user.is_superuser):
        return SavedView.objects.none()
    if user.is_superuser:
        shared = Q(desk__isnull=False)
    else:
        shared = Q(desk_id__in=DeskMembership.objects.filter(user=user).values("desk_id"))
    return SavedView.objects.filter(Q(owner=user, desk__isnull=True) | shared).select_related(
        "desk"
    )


def saved_views_for_user(user: User) -> list[SavedView]:
    """``saved_view_list_for_user``'s rows, read by a statement compiled once per process and
    kind of user (``core.statements.KeptStatement``; docs/performance.md, "Eighth round: the
    agent queue"): the queue page reads them on every request."""
    if not (user.is_agent or user.is_superuser):
        return []
    return _SAVED_VIEWS.rows(staff_kind(user), {"user": user.pk})


def _saved_views_of(kind: StaffKind, values: Mapping[str, Any]) -> QuerySet[SavedView]:
    return saved_view_list_for_user(staff_stand_in(values["user"], kind))


_SAVED_VIEWS: KeptStatement[StaffKind, SavedView] = KeptStatement(_saved_views_of)


def desk_ids_led_by(user: User) -> set[int] | None:
    """The desks whose team lead ``user`` is; None means every desk (administrators). From
    the memberships ``desk_roles`` reads once per request: no statement of its own on a page
    that has checked them already."""
    if user.is_superuser:
        return None
    return {desk_id for desk_id, role in desk_roles(user).items() if role == DeskRole.TEAM_LEAD}


def saved_view_get_for_user(user: User, view_id: int) -> SavedView:
    view = saved_view_list_for_user(user).filter(pk=view_id).first()
    if view is None:
        raise NotFound()
    return view


def submission_is_done(user: User, token: str) -> bool:
    """Whether this form (its one-time token) was already submitted by this user."""
    token = (token or "").strip()
    return bool(token) and SubmissionToken.objects.filter(user=user, token=token[:64]).exists()
