"""One request's timeline, for both audiences: the customer's request page (and its printable
record) and the agent's ticket page (its event log, the collision warnings and the export).

``timeline_build`` turns the events a reader may see into ``TimelineEntry`` rows carrying all
that ``tickets/timeline_html.py`` writes: one sentence per event in the reader's
language, the people and files it names, the labels of changed fields and waiting reasons.
It reads the people all the entries name in one query, whatever their number, and none when the
page has them already (the events' authors, the request's people: ``known``).

The audiences differ in what they are shown, not in how it is built (docs/requirements.md#
visibility): a customer sees a comment's files with the comment and never a file they may not
download, name included (V5); an agent sees every event as its own line, internal ones marked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.models import User
from supportal.tickets.events import (
    Assigned,
    AttachmentAdded,
    Commented,
    Created,
    EventKind,
    FeedbackGiven,
    FieldChanged,
    NotificationsChanged,
    ParticipantAdded,
    ParticipantRemoved,
    Payload,
    QuoteAnswered,
    QuoteProposed,
    StatusChanged,
)
from supportal.tickets.models import Attachment, Comment, Event
from supportal.tickets.workflow import Status, WaitingReason

FIELD_LABELS = {
    "priority": gettext_lazy("Priority"),
    "request_type": gettext_lazy("Request type"),
    "product": gettext_lazy("Product"),
    "summary": gettext_lazy("Summary"),
    "contact_phone": gettext_lazy("Contact phone"),
}


class Audience(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


@dataclass
class TimelineEntry:
    """One event as the timeline shows it."""

    event: Event
    text: str  # what happened, in one sentence, in the reader's language
    person: User | None = None  # whom an assignment or a sharing names
    files: list[Attachment] = field(default_factory=list)  # a comment's files, or the one added
    field_label: str = ""
    reason_label: str = ""
    sender_unverified: bool = False  # set by the agent's page (workspace/events.py)
    # The other events of the same origin (one inbound mail: its files, the people it shared
    # the request with, the status it moved), shown inside this entry.
    folded: list[TimelineEntry] = field(default_factory=list)
    # For agents (workspace/events.py): how the mail arrived, and its original's address.
    remarks: list[str] = field(default_factory=list)
    original_url: str = ""
    copied: list[str] = field(default_factory=list)  # also addressed, not on the request

    @property
    def pk(self) -> int:
        return self.event.pk

    @property
    def kind(self) -> str:
        return self.event.kind

    @property
    def payload(self) -> Payload:
        return self.event.payload

    @property
    def actor(self) -> User | None:
        return self.event.actor

    @property
    def comment(self) -> Comment | None:
        return self.event.comment

    @property
    def is_public(self) -> bool:
        return self.event.is_public

    @property
    def created_at(self) -> datetime:
        return self.event.created_at

    @property
    def to_status_label(self) -> str:
        return self.event.to_status_label

    @property
    def file(self) -> Attachment | None:
        """The file an ``attachment_added`` entry shows (customers only; agents get a link)."""
        return self.files[0] if self.kind == EventKind.ATTACHMENT_ADDED and self.files else None

    def get_kind_display(self) -> str:
        return str(self.event.get_kind_display())


def timeline_build(
    events: Iterable[Event],
    *,
    audience: Audience,
    attachments: Iterable[Attachment] = (),
    known: Iterable[User | None] = (),
) -> list[TimelineEntry]:
    """The entries of ``events`` (already limited to what the reader may see, in the order
    given). For customers, ``attachments`` are the files they may download: a comment's files
    go with the comment, and a file's own entry shows only when it is among them. ``known``:
    people the page has read already (the requester, the assignee, the participants), whom
    the events may name without another query."""
    events = list(events)
    people = _people_named(events, known)
    if audience == Audience.CUSTOMER:
        events, files = _customer_files(events, list(attachments))
    else:
        files = {}
    entries = []
    for event in events:
        person = people.get(_person_id(event.payload) or 0)
        entries.append(
            TimelineEntry(
                event=event,
                text=_describe(event, people),
                person=person,
                files=files.get(event.pk, []),
                field_label=_field_label(event.payload),
                reason_label=_reason_label(event.payload),
            )
        )
    return _fold(entries)


def _head_rank(entry: TimelineEntry) -> int:
    """Which event of one origin carries the entry: the request's creation, else the comment."""
    if isinstance(entry.payload, Created):
        return 0
    return 1 if isinstance(entry.payload, Commented) else 2


def _fold(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """One entry per origin (one inbound mail: docs/email.md, "One entry per mail"), at the
    place of its first event; the others are folded into it in the order they happened."""
    heads: dict[str, TimelineEntry] = {}
    shown: list[TimelineEntry] = []
    for entry in entries:
        origin = entry.event.origin
        head = heads.get(origin) if origin else None
        if head is None:
            if origin:
                heads[origin] = entry
            shown.append(entry)
        elif _head_rank(entry) < _head_rank(head):
            entry.folded, head.folded = [*head.folded, head], []
            shown[next(i for i, seen in enumerate(shown) if seen is head)] = entry
            heads[origin] = entry
        else:
            head.folded.append(entry)
    for head in heads.values():
        head.folded.sort(key=lambda sub: (sub.created_at, sub.pk))
    return shown


def _customer_files(
    events: list[Event], attachments: list[Attachment]
) -> tuple[list[Event], dict[int, list[Attachment]]]:
    """The events a customer's timeline shows, and the files of each (by event id)."""
    visible = {attachment.pk: attachment for attachment in attachments}
    by_comment: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in attachments:
        if attachment.comment_id:
            by_comment[attachment.comment_id].append(attachment)
    shown: list[Event] = []
    files: dict[int, list[Attachment]] = {}
    for event in events:
        match event.payload:
            case AttachmentAdded(attachment_id=attachment_id):
                if event.comment_id or attachment_id not in visible:
                    continue  # a comment's files are shown with the comment
                files[event.pk] = [visible[attachment_id]]
            case Commented():
                if event.comment_id is None or event.comment is None:
                    continue
                files[event.pk] = by_comment.get(event.comment_id, [])
        shown.append(event)
    return shown, files


def _people_named(events: list[Event], known: Iterable[User | None]) -> dict[int, User]:
    """Everyone the events name (assignees, the previous assignee, participants): from the
    people already read (``known``, the events' authors), the others in one query."""
    ids: set[int] = set()
    for event in events:
        payload = event.payload
        for key in ("assignee_id", "previous_assignee_id", "user_id"):
            value = getattr(payload, key, None)
            if value:
                ids.add(value)
    if not ids:
        return {}
    read = {person.pk: person for person in known if person is not None}
    # The authors came with the events (select_related), when they did.
    for event in events:
        if event.actor_id and Event.actor.is_cached(event) and event.actor is not None:
            read[event.actor.pk] = event.actor
    people = {pk: read[pk] for pk in ids if pk in read}
    missing = ids - people.keys()
    if missing:
        people.update(User.objects.in_bulk(missing))
    return people


def _person_id(payload: Payload) -> int | None:
    """The person a sharing or assignment event names; None for every other event."""
    if isinstance(payload, ParticipantAdded | ParticipantRemoved):
        return payload.user_id
    if isinstance(payload, Assigned):
        return payload.assignee_id
    return None


def _field_label(payload: Payload) -> str:
    if isinstance(payload, FieldChanged):
        return str(FIELD_LABELS.get(payload.field, payload.field))
    return ""


def _reason_label(payload: Payload) -> str:
    if isinstance(payload, StatusChanged) and payload.reason:
        return str(dict(WaitingReason.choices).get(payload.reason, ""))
    return ""


def _status_label(value: object) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "")


def _name(people: dict[int, User], user_id: int | None) -> str:
    person = people.get(user_id or 0)
    return str(person) if person is not None else "?"


def _describe(event: Event, people: dict[int, User]) -> str:
    actor = str(event.actor) if event.actor else _("Supportal")
    match event.payload:
        case Created():
            return _("%(actor)s registered the request.") % {"actor": actor}
        case StatusChanged() as changed:
            return _describe_status(actor, changed)
        case Commented():
            if event.is_public:
                return _("%(actor)s added a comment.") % {"actor": actor}
            return _("%(actor)s added an internal note.") % {"actor": actor}
        case Assigned(assignee_id=None):
            return _("%(actor)s unassigned the request.") % {"actor": actor}
        case Assigned() as assigned:
            return _("%(actor)s assigned the request to %(name)s.") % {
                "actor": actor,
                "name": _name(people, assigned.assignee_id),
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
                "name": _name(people, added.user_id),
            }
        case ParticipantRemoved() as removed:
            return _("%(actor)s stopped sharing the request with %(name)s.") % {
                "actor": actor,
                "name": _name(people, removed.user_id),
            }
    return _describe_customer_steps(event, actor)


def _describe_status(actor: str, changed: StatusChanged) -> str:
    text = _("%(actor)s changed the status from %(old)s to %(new)s.") % {
        "actor": actor,
        "old": _status_label(changed.from_status),
        "new": _status_label(changed.to_status),
    }
    if changed.reason in WaitingReason.values:
        text += " " + str(WaitingReason(changed.reason).label) + "."
    return text


def _describe_customer_steps(event: Event, actor: str) -> str:
    """Quotes, feedback and notification choices: what the customer decides."""
    match event.payload:
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
