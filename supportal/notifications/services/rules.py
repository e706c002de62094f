"""Who is told what about an action: its events read as one action, and the recipients."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from supportal.accounts.languages import recipient_language, recipient_time_zone
from supportal.accounts.models import User
from supportal.desks.models import DeskRole
from supportal.notifications.models import (
    AgentNotificationPreference,
)
from supportal.tickets.events import (
    Assigned,
    Commented,
    Created,
    FeedbackGiven,
    ParticipantAdded,
    QuoteProposed,
    StatusChanged,
)
from supportal.tickets.models import Comment, Event, EventKind, Ticket
from supportal.tickets.workflow import Action, Status


@dataclass
class TicketAction:
    """What one action did, read from its events."""

    ticket: Ticket
    actor: User | None
    events: list[Event]
    created: Created | None = None
    statuses: list[StatusChanged] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    assignments: list[Assigned] = field(default_factory=list)
    participants_added: list[int] = field(default_factory=list)
    quotes: list[QuoteProposed] = field(default_factory=list)
    feedback: FeedbackGiven | None = None

    @classmethod
    def from_events(cls, ticket: Ticket, actor: User | None, events: list[Event]) -> TicketAction:
        action = cls(ticket=ticket, actor=actor, events=events)
        for event in events:
            payload = event.payload
            if isinstance(payload, Created):
                action.created = payload
            elif isinstance(payload, StatusChanged):
                action.statuses.append(payload)
            elif isinstance(payload, Commented) and event.comment is not None:
                action.comments.append(event.comment)
            elif isinstance(payload, Assigned):
                action.assignments.append(payload)
            elif isinstance(payload, ParticipantAdded) and payload.user_id:
                action.participants_added.append(payload.user_id)
            elif isinstance(payload, QuoteProposed):
                action.quotes.append(payload)
            elif isinstance(payload, FeedbackGiven):
                action.feedback = payload
        return action

    @property
    def workflow_action(self) -> str:
        return self.statuses[0].action if self.statuses else ""

    @property
    def final_status(self) -> str:
        return self.statuses[-1].to_status if self.statuses else ""

    @property
    def public_comment(self) -> Comment | None:
        return next((comment for comment in self.comments if comment.is_public), None)

    @property
    def resolution(self) -> str:
        return next((s.resolution for s in self.statuses if s.resolution), "")

    @property
    def is_resolved(self) -> bool:
        return any(s.to_status == Status.RESOLVED for s in self.statuses)

    @property
    def always_told(self) -> bool:
        """Requests for information and the resolution reach even those who muted
        (docs/requirements.md#notifications, N2)."""
        return self.workflow_action == Action.REQUEST_INFO or self.is_resolved

    @property
    def actor_is_customer(self) -> bool:
        return self.actor is not None and not (self.actor.is_agent or self.actor.is_superuser)


@dataclass(frozen=True)
class Recipient:
    user: User
    address: str
    desk: Any = None

    @property
    def language(self) -> str:
        """The recipient's language (docs/languages.md)."""
        return recipient_language(self.user, desk=self.desk)

    @property
    def time_zone(self) -> str:
        """The recipient's time zone (docs/languages.md): the desk's applies to customers."""
        return recipient_time_zone(self.user, desk=self.desk)


def _customers_of(ticket: Ticket) -> list[Recipient]:
    """The requester (at the request's contact address, if it has one) and the participants."""
    people = [ticket.requester]
    people += [
        participant.user
        for participant in ticket.participants.select_related(
            "user", "user__organization"
        ).order_by("created_at", "pk")
    ]
    recipients = []
    for person in people:
        if person.pk == ticket.requester_id and ticket.contact_email:
            address = ticket.contact_email
        else:
            address = person.email
        recipients.append(Recipient(user=person, address=address.lower(), desk=ticket.desk))
    return recipients


AGENT_MAILS = {
    # kind: (template, preference field)
    "new_ticket": ("agent_new_ticket", "has_new_ticket_mail"),
    "assigned": ("agent_assigned", "has_assignment_mail"),
    "customer_answer": ("agent_customer_answer", "has_customer_answer_mail"),
    "third_party_answer": ("agent_third_party_answer", "has_third_party_answer_mail"),
    "cancelled": ("agent_cancelled", "has_cancellation_mail"),
    # The customer's rating reaches whoever resolved it and the desk's team leads, always.
    "feedback": ("agent_feedback", None),
}


def _agent_kinds(action: TicketAction) -> dict[int, tuple[User, str]]:
    """Agents to tell, each once, with the first kind that applies to them."""
    ticket = action.ticket
    wanted: dict[int, tuple[User, str]] = {}

    def add(users: Iterable[User], kind: str) -> None:
        for user in users:
            wanted.setdefault(user.pk, (user, kind))

    if action.created is not None and ticket.desk.notify_agents_of_new_tickets:
        add(
            User.objects.filter(desk_memberships__desk_id=ticket.desk_id).order_by("pk"),
            "new_ticket",
        )
    assignee_ids = [assigned.assignee_id for assigned in action.assignments]
    add(User.objects.filter(pk__in=[pk for pk in assignee_ids if pk]), "assigned")
    if ticket.assignee_id is not None:
        # Read only when a rule names the assignee (the id says there is one).
        if action.actor_is_customer and action.public_comment is not None:
            add([cast(User, ticket.assignee)], "customer_answer")
        if action.workflow_action == Action.THIRD_PARTY_ANSWERED:
            add([cast(User, ticket.assignee)], "third_party_answer")
        if action.final_status == Status.CANCELLED:
            add([cast(User, ticket.assignee)], "cancelled")
    if action.feedback is not None:
        add(_resolver_and_team_leads(ticket), "feedback")
    return wanted


def _resolver_and_team_leads(ticket: Ticket) -> list[User]:
    """Who resolved the request last (else its assignee), then the desk's team leads."""
    resolver_id = (
        Event.objects.filter(
            ticket=ticket, kind=EventKind.STATUS_CHANGED, data__to_status=Status.RESOLVED
        )
        .exclude(actor__isnull=True)
        .order_by("-pk")
        .values_list("actor_id", flat=True)
        .first()
    ) or ticket.assignee_id
    people = list(User.objects.filter(pk=resolver_id)) if resolver_id else []
    people += User.objects.filter(
        desk_memberships__desk_id=ticket.desk_id, desk_memberships__role=DeskRole.TEAM_LEAD
    ).order_by("pk")
    return people


def _agent_wants(user: User, kind: str, muted_ids: set[int]) -> bool:
    if not (user.is_active and (user.is_agent or user.is_superuser)):
        return False
    if not user.has_email_notifications:
        return False
    if kind != "assigned" and user.pk in muted_ids:
        return False  # a new responsibility is told even on a muted request
    choice = AGENT_MAILS[kind][1]
    if choice is None:
        return True
    preference = AgentNotificationPreference.objects.filter(user=user).first()
    return preference is None or getattr(preference, choice)


def _customer_template(action: TicketAction) -> str | None:
    if action.created is not None:
        return "ticket_created"
    if action.statuses or action.public_comment is not None:
        return "ticket_updated"
    return None


def _update_kind(action: TicketAction) -> str:
    """Which sentence leads the customer's mail."""
    if action.created is not None:
        return "created"
    if action.is_resolved:
        return "resolved"
    if action.workflow_action == Action.REQUEST_INFO:
        return "request_info"
    if action.workflow_action in {Action.TAKE, Action.START}:
        return "taken"
    if action.statuses:
        return "status"
    return "comment"
