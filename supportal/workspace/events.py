"""The agent's timeline (the event log, the collision warnings, the export): the entries
``tickets/timeline.py`` builds, with what agents read of the mails behind them — whose sender
could not be verified, what had to be repaired, which files were dropped, who else it was
addressed to, and a link to the original (docs/email.md, "One entry per mail")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.mail.models import InboundMessage
from supportal.mail.repair import repairs_describe
from supportal.tickets.events import Commented, Created
from supportal.tickets.models import Event
from supportal.tickets.timeline import Audience, TimelineEntry, timeline_build

MAIL_ORIGIN = "mail:"


def _mail_id(origin: str) -> int | None:
    if not origin.startswith(MAIL_ORIGIN):
        return None
    value = origin[len(MAIL_ORIGIN) :]
    return int(value) if value.isdigit() else None


def events_describe(
    events: Iterable[Event], *, known: Iterable[User | None] = ()
) -> list[TimelineEntry]:
    """The events as timeline entries, each with its sentence in the reader's language.

    One query for the people the events name (assignees, participants) that are not among
    ``known`` and the events' authors, whatever their number, and one for the mails behind
    them when any event came by mail.
    """
    entries = timeline_build(events, audience=Audience.AGENT, known=known)
    rows = _mails_of([entry.event for entry in entries])
    by_id = {row["pk"]: row for row in rows}
    unverified = {(row["ticket_id"], row["comment_id"]) for row in rows if row["marked_unverified"]}
    for entry in entries:
        mail_id = _mail_id(entry.event.origin)
        row = by_id.get(mail_id) if mail_id is not None else None
        if row is not None:
            _mail_details(entry, row)
            continue
        # Events written before mail had an origin: matched by the comment or the creation.
        key = entry.event.comment_id if isinstance(entry.payload, Commented) else None
        entry.sender_unverified = (entry.event.ticket_id, key) in unverified and (
            key is not None or isinstance(entry.payload, Created)
        )
    return entries


def _mail_details(entry: TimelineEntry, row: dict[str, Any]) -> None:
    outcome = row["outcome"] or {}
    entry.sender_unverified = row["marked_unverified"]
    entry.original_url = reverse("workspace:mail_original", args=[row["pk"]])
    repairs = repairs_describe(outcome.get("repairs") or [])
    if repairs:
        entry.remarks.append(
            _("The e-mail was damaged and has been repaired: %(how)s.")
            % {"how": "; ".join(repairs)}
        )
    entry.remarks.extend(str(note) for note in outcome.get("notes") or [])
    copied = [str(address) for address in outcome.get("copied") or []]
    entry.copied = copied
    if copied:
        entry.remarks.append(
            _("Also addressed (not on this request): %(addresses)s")
            % {"addresses": ", ".join(copied)}
        )


def _mails_of(events: list[Event]) -> list[dict[str, Any]]:
    """The stored mails behind the events: by their origin, and for events written before
    mail had one, those whose sender was marked unverified (docs/security.md). One query,
    none when no event came by mail."""
    by_mail = "email"
    mail_ids = {mail_id for e in events if (mail_id := _mail_id(e.origin)) is not None}
    comment_ids = {
        e.comment_id
        for e in events
        if not e.origin and e.comment_id and e.comment and e.comment.via == by_mail
    }
    ticket_ids = {
        e.ticket_id
        for e in events
        if not e.origin
        and isinstance(e.payload, Created)
        and e.payload.submission_method == by_mail
    }
    if not mail_ids and not comment_ids and not ticket_ids:
        return []
    old = Q(comment_id__in=comment_ids) | Q(ticket_id__in=ticket_ids, comment__isnull=True)
    rows = InboundMessage.objects.filter(Q(pk__in=mail_ids) | (Q(marked_unverified=True) & old))
    fields = ("pk", "ticket_id", "comment_id", "marked_unverified", "outcome")
    return [dict(row) for row in rows.values(*fields)]
