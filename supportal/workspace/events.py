"""One line of text per event, for the agent's event log and the collision warnings."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.tickets.events import (
    Assigned,
    AttachmentAdded,
    Commented,
    Created,
    FeedbackGiven,
    FieldChanged,
    NotificationsChanged,
    ParticipantAdded,
    ParticipantRemoved,
    QuoteAnswered,
    QuoteProposed,
    StatusChanged,
)
from supportal.tickets.models import Event
from supportal.tickets.workflow import Status, WaitingReason

_USER_KEYS = ("assignee_id", "previous_assignee_id", "user_id")


def _status_label(value: object) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "")


def events_describe(events: Iterable[Event]) -> list[Event]:
    """The events, each with ``.text`` set: what happened, in the reader's language.

    One query for the people the events name (assignees, participants), whatever their number.
    """
    events = list(events)
    user_ids = {getattr(e.payload, k, None) for e in events for k in _USER_KEYS} - {None}
    names = (
        {
            u.pk: str(u)
            for u in User.objects.filter(pk__in=user_ids).only("first_name", "last_name", "email")
        }
        if user_ids
        else {}
    )
    unverified = _unverified_by_mail(events)
    for event in events:
        event.text = _describe(event, names)
        key = event.comment_id if isinstance(event.payload, Commented) else None
        event.sender_unverified = (event.ticket_id, key) in unverified and (
            key is not None or isinstance(event.payload, Created)
        )
    return events


def _unverified_by_mail(events: list[Event]) -> set[tuple[int, int | None]]:
    """(ticket, comment) pairs written from mail whose sender could not be verified, which the
    desk marks for agents (docs/security.md). One query, none when no event came by mail."""
    from django.db.models import Q

    from supportal.mail.models import InboundMessage

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


def _describe(event: Event, names: dict[int, str]) -> str:
    actor = str(event.actor) if event.actor else _("Supportal")
    match event.payload:
        case Created():
            return _("%(actor)s registered the request.") % {"actor": actor}
        case StatusChanged() as changed:
            text = _("%(actor)s changed the status from %(old)s to %(new)s.") % {
                "actor": actor,
                "old": _status_label(changed.from_status),
                "new": _status_label(changed.to_status),
            }
            if changed.reason in WaitingReason.values:
                text += " " + str(WaitingReason(changed.reason).label) + "."
            return text
        case Commented():
            if event.is_public:
                return _("%(actor)s added a comment.") % {"actor": actor}
            return _("%(actor)s added an internal note.") % {"actor": actor}
        case Assigned(assignee_id=None):
            return _("%(actor)s unassigned the request.") % {"actor": actor}
        case Assigned() as assigned:
            return _("%(actor)s assigned the request to %(name)s.") % {
                "actor": actor,
                "name": names.get(assigned.assignee_id, "?"),
            }
        case FieldChanged() as changed:
            return _("%(actor)s changed %(field)s to %(value)s.") % {
                "actor": actor,
                "field": changed.field.replace("_", " "),
                "value": changed.new_label_read or changed.new or "—",
            }
        case AttachmentAdded() as attached:
            return _("%(actor)s attached %(name)s.") % {"actor": actor, "name": attached.file_name}
        case ParticipantAdded() as added:
            return _("%(actor)s shared the request with %(name)s.") % {
                "actor": actor,
                "name": names.get(added.user_id, "?"),
            }
        case ParticipantRemoved() as removed:
            return _("%(actor)s stopped sharing the request with %(name)s.") % {
                "actor": actor,
                "name": names.get(removed.user_id, "?"),
            }
        case QuoteProposed() as quote:
            return _("%(actor)s proposed %(price)s %(currency)s, deadline %(deadline)s.") % {
                "actor": actor,
                "price": quote.price,
                "currency": quote.currency,
                "deadline": quote.deadline or "—",
            }
        case QuoteAnswered(state="accepted"):
            return _("%(actor)s accepted the quote.") % {"actor": actor}
        case QuoteAnswered():
            return _("%(actor)s declined the quote.") % {"actor": actor}
        case FeedbackGiven() as feedback:
            return _("%(actor)s rated the resolution %(rating)s/5.") % {
                "actor": actor,
                "rating": feedback.rating,
            }
        case NotificationsChanged(is_muted=True):
            return _("%(actor)s turned notifications off.") % {"actor": actor}
        case NotificationsChanged():
            return _("%(actor)s turned notifications on.") % {"actor": actor}
    return f"{actor}: {event.get_kind_display()}"
