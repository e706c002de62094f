"""Writes for canned replies, saved views and one-time form submissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts.models import User
from supportal.audit.models import Action
from supportal.audit.services import snapshot
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.desks.models import Desk
from supportal.replies.models import CannedReply, SavedView, SubmissionToken
from supportal.replies.selectors import is_team_lead_of
from supportal.tickets.models import Comment, Ticket
from supportal.tickets.selectors import desk_ids_for_agent

TOKEN_MAX_LENGTH = 64


def _require_lead(user: User, desk: Desk) -> None:
    if not is_team_lead_of(user, desk.pk):
        desk_ids = desk_ids_for_agent(user)
        if desk_ids is not None and desk.pk not in desk_ids:
            raise NotFound()
        raise PermissionRefused(_("Only the desk's team leads manage its canned replies."))


def _clean_reply(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise InvalidInput(_("Give the reply a title."), field="title")
    if len(title) > 120:
        raise InvalidInput(_("The title is limited to 120 characters."), field="title")
    if not body:
        raise InvalidInput(_("Write the reply's text."), field="body")
    return title, body


def canned_reply_save(
    *,
    actor: User,
    desk: Desk,
    title: str,
    body: str,
    is_active: bool = True,
    reply: CannedReply | None = None,
) -> CannedReply:
    """Create a canned reply on ``desk``, or change ``reply`` (team leads and administrators).

    Side effects: the row; an audit entry with the values before and after.
    """
    _require_lead(actor, desk)
    if reply is not None:
        _require_lead(actor, reply.desk)
    title, body = _clean_reply(title, body)
    same_title = CannedReply.objects.filter(desk=desk, title__iexact=title)
    if reply is not None:
        same_title = same_title.exclude(pk=reply.pk)
    if same_title.exists():
        raise InvalidInput(_("This desk already has a reply with this title."), field="title")
    fields = ("desk", "title", "body", "is_active")
    before = snapshot(reply, fields) if reply is not None else None
    reply = reply or CannedReply(created_by=actor)
    reply.desk, reply.title, reply.body, reply.is_active = desk, title, body, is_active
    with transaction.atomic():
        reply.save()
        audit.record(
            actor=actor,
            action=Action.CANNED_REPLY_CHANGED,
            obj=reply,
            before=before,
            after=snapshot(reply, fields),
        )
    return reply


def canned_reply_delete(*, actor: User, reply: CannedReply) -> None:
    """Delete a canned reply (team leads of its desk and administrators).
    Side effects: an audit entry keeps what it said."""
    _require_lead(actor, reply.desk)
    with transaction.atomic():
        audit.record(actor=actor, action=Action.DATA_DELETED, obj=reply, before=snapshot(reply))
        reply.delete()


def _clean_params(params: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for key, values in params.items():
        if key in {"page", "csrfmiddlewaretoken", "saved"}:
            continue
        kept = [str(v)[:200] for v in values if str(v).strip()][:20]
        if kept:
            cleaned[str(key)[:40]] = kept
    return cleaned


def saved_view_create(
    *, actor: User, name: str, params: Mapping[str, Sequence[str]], desk: Desk | None = None
) -> SavedView:
    """Save the queue's filters under a name: personal, or shared with ``desk``'s agents.

    Any agent of a desk may share a view with it. Side effects: none besides the row.
    """
    if not (actor.is_agent or actor.is_superuser):
        raise PermissionRefused(_("Only agents save views."))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the view a name."), field="name")
    if len(name) > 80:
        raise InvalidInput(_("The name is limited to 80 characters."), field="name")
    if desk is not None:
        desk_ids = desk_ids_for_agent(actor)
        if desk_ids is not None and desk.pk not in desk_ids:
            raise NotFound()
    return SavedView.objects.create(owner=actor, desk=desk, name=name, params=_clean_params(params))


def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Delete a saved view: its owner, or a team lead of the desk it is shared with."""
    if view.owner_id != actor.pk and not (view.desk_id and is_team_lead_of(actor, view.desk_id)):
        raise PermissionRefused(_("Only its owner or a team lead can delete this view."))
    view.delete()


@dataclass(frozen=True)
class Submission:
    comment: Comment | None
    is_repeat: bool


def submission_once(
    *,
    user: User,
    ticket: Ticket,
    token: str,
    submit: Callable[[], Comment | None],
    now: dt.datetime | None = None,
) -> Submission:
    """Run ``submit`` (a service call on ``ticket``) at most once per form token.

    The token row is inserted first, in the same transaction as the change: a second submission
    of the same form waits on the unique index (PostgreSQL) or the write lock (SQLite) until
    the first commits, then finds the token and does nothing. If ``submit`` is refused, the
    token goes with the rollback, so the same form can be corrected and sent again. Without a
    token ``submit`` simply runs. Side effects: those of ``submit``, and the token row.
    """
    token = (token or "").strip()[:TOKEN_MAX_LENGTH]
    if not token:
        return Submission(comment=submit(), is_repeat=False)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = SubmissionToken.objects.create(
                    token=token, user=user, ticket=ticket, created_at=now or timezone.now()
                )
        except IntegrityError:
            previous = (
                SubmissionToken.objects.filter(user=user, token=token)
                .select_related("comment")
                .first()
            )
            return Submission(comment=previous.comment if previous else None, is_repeat=True)
        comment = submit()
        if comment is not None:
            record.comment = comment
            record.save(update_fields=["comment"])
    return Submission(comment=comment, is_repeat=False)
