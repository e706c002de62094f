"""What each ticket event carries, as typed data, and who hears it.

Every ``Event`` row has a ``kind`` and a payload: one frozen dataclass per kind below. The
services construct the payload, ``tickets.services._common.event_record`` serialises it into
``Event.data`` and tells the listeners; every consumer reads it back typed through
``Event.payload`` (never by string keys into ``Event.data``).

The listeners run in the listed order inside the service's transaction: the SLA clocks first,
then the notifications (which may read what the SLA wrote). Each app registers its function in
its ``AppConfig.ready()``; a listener's failure rolls the action back. Tickets import neither.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportal.core.listeners import ListenerList

if TYPE_CHECKING:
    from supportal.tickets.models import Comment, Event, Ticket


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    COMMENTED = "commented", _("Commented")
    ASSIGNED = "assigned", _("Assigned")
    FIELD_CHANGED = "field_changed", _("Field changed")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    PARTICIPANT_ADDED = "participant_added", _("Participant added")
    PARTICIPANT_REMOVED = "participant_removed", _("Participant removed")
    QUOTE_PROPOSED = "quote_proposed", _("Quote proposed")
    QUOTE_ANSWERED = "quote_answered", _("Quote answered")
    FEEDBACK_GIVEN = "feedback_given", _("Feedback given")
    NOTIFICATIONS_CHANGED = "notifications_changed", _("Notifications changed")


@dataclass(frozen=True)
class Payload:
    kind: ClassVar[EventKind]

    def to_data(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Created(Payload):
    kind = EventKind.CREATED
    status: str
    submission_method: str


@dataclass(frozen=True)
class StatusChanged(Payload):
    kind = EventKind.STATUS_CHANGED
    action: str
    from_status: str
    to_status: str
    reason: str = ""  # the waiting reason, when asking the customer
    resolution: str = ""  # when resolving


@dataclass(frozen=True)
class Commented(Payload):
    kind = EventKind.COMMENTED  # the comment itself is the event's ``comment``
    # On the note of an inbound mail: the addresses it was also sent to (To/Cc) that are not on
    # the request, which agents can add as participants with one click.
    copied: list[str] = dataclasses.field(default_factory=list)

    def to_data(self) -> dict[str, object]:
        return {"copied": self.copied} if self.copied else {}


@dataclass(frozen=True)
class Assigned(Payload):
    kind = EventKind.ASSIGNED
    assignee_id: int | None
    previous_assignee_id: int | None = None


@dataclass(frozen=True)
class FieldChanged(Payload):
    kind = EventKind.FIELD_CHANGED
    field: str
    old: object
    new: object
    old_label: str | None = None
    new_label: str = ""
    # A priority, request type or product is named in every language (docs/languages.md#names):
    # the new value's name in each, so every reader reads it in theirs.
    new_labels: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def new_label_read(self) -> str:
        """The new value's name in the active language (older events: as it was written)."""
        from django.utils.translation import get_language

        return self.new_labels.get(get_language() or "", "") or self.new_label


@dataclass(frozen=True)
class AttachmentAdded(Payload):
    kind = EventKind.ATTACHMENT_ADDED
    attachment_id: int
    file_name: str


@dataclass(frozen=True)
class ParticipantAdded(Payload):
    kind = EventKind.PARTICIPANT_ADDED
    user_id: int


@dataclass(frozen=True)
class ParticipantRemoved(Payload):
    kind = EventKind.PARTICIPANT_REMOVED
    user_id: int


@dataclass(frozen=True)
class QuoteProposed(Payload):
    kind = EventKind.QUOTE_PROPOSED
    quote_id: int
    price: str
    currency: str
    deadline: str | None = None  # ISO date


@dataclass(frozen=True)
class QuoteAnswered(Payload):
    kind = EventKind.QUOTE_ANSWERED
    quote_id: int
    state: str


@dataclass(frozen=True)
class FeedbackGiven(Payload):
    kind = EventKind.FEEDBACK_GIVEN
    rating: int


@dataclass(frozen=True)
class NotificationsChanged(Payload):
    kind = EventKind.NOTIFICATIONS_CHANGED
    is_muted: bool


PAYLOADS: dict[str, type[Payload]] = {
    cls.kind: cls
    for cls in (
        Created,
        StatusChanged,
        Commented,
        Assigned,
        FieldChanged,
        AttachmentAdded,
        ParticipantAdded,
        ParticipantRemoved,
        QuoteProposed,
        QuoteAnswered,
        FeedbackGiven,
        NotificationsChanged,
    )
}


def payload_from(kind: str, data: dict[str, object] | None) -> Payload:
    """Read a stored payload back; keys it does not know (older rows) are left out."""
    cls = PAYLOADS[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{key: value for key, value in (data or {}).items() if key in names})


# The in-transaction listeners of ticket events, in the order they run. Adding one (webhooks,
# automation rules) is a name here and a register() in its app's ready(). "live": the
# workspace's live updates, which only ask for a notice after the commit (workspace/live.py).
listeners: ListenerList[Event] = ListenerList(
    "ticket events", order=("sla", "notifications", "webhooks", "live")
)


@dataclass(frozen=True)
class TextChanged:
    """A ticket's searchable text changed in this transaction: it was created (``is_new``: the
    row in hand is all its text), commented on, resolved or renamed."""

    ticket: Ticket
    is_new: bool = False
    comment: Comment | None = None  # the one comment added, when that is the whole change


# Who keeps an index of tickets' text, told once per action inside its transaction (not per
# event: one action may add a comment, a resolution and files). Today the search documents.
text_listeners: ListenerList[TextChanged] = ListenerList("ticket text", order=("search",))
