"""The agent's timeline (the event log, the collision warnings, the export): the entries
``tickets/timeline.py`` builds, with the mails whose sender could not be verified marked."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from supportal.mail.models import InboundMessage
from supportal.tickets.events import Commented, Created
from supportal.tickets.models import Event
from supportal.tickets.timeline import Audience, TimelineEntry, timeline_build


def events_describe(events: Iterable[Event]) -> list[TimelineEntry]:
    """The events as timeline entries, each with its sentence in the reader's language.

    One query for the people the events name (assignees, participants), whatever their number,
    and one for the unverified mails when any event came by mail.
    """
    entries = timeline_build(events, audience=Audience.AGENT)
    unverified = _unverified_by_mail([entry.event for entry in entries])
    for entry in entries:
        key = entry.event.comment_id if isinstance(entry.payload, Commented) else None
        entry.sender_unverified = (entry.event.ticket_id, key) in unverified and (
            key is not None or isinstance(entry.payload, Created)
        )
    return entries


def _unverified_by_mail(events: list[Event]) -> set[tuple[int, int | None]]:
    """(ticket, comment) pairs written from mail whose sender could not be verified, which the
    desk marks for agents (docs/security.md). One query, none when no event came by mail."""
    by_mail = "email"
    comment_ids = {
        e.comment_id for e in events if e.comment_id and e.comment and e.comment.via == by_mail
    }
    ticket_ids = {
        e.ticket_id
        for e in events
        if isinstance(e.payload, Created) and e.payload.submission_method == by_mail
    }
    if not comment_ids and not ticket_ids:
        return set()
    rows = InboundMessage.objects.filter(marked_unverified=True).filter(
        Q(comment_id__in=comment_ids) | Q(ticket_id__in=ticket_ids, comment__isnull=True)
    )
    return set(rows.values_list("ticket_id", "comment_id"))
