"""Notifications: the events of an action become the mails seed 000 shows.

The flow (docs/notifications.md):

1. ``tickets.services._event`` calls :func:`notification_event_record` for every Event, in the
   service's transaction. Events of one ticket, actor and instant are one action and share one
   :class:`PendingNotification` row (a status change and its comment: one mail).
2. The worker queue :func:`notifications_send_due` claims due rows after commit and, in one
   transaction per row, decides who is told what and queues the mails with
   ``mail.outbox.email_queue`` (never SMTP here).
3. The outbox worker sends them, retrying with the same Message-ID.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from supportal.accounts.languages import recipient_language, recipient_time_zone
from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.core.jobs import claim_due, retry_delay
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import email_queue
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationSettings,
    NotificationTemplate,
    PendingNotification,
    PendingSlaNotification,
    PendingState,
    SuppressedAddress,
    SuppressionReason,
    TicketReplyAddress,
)
from supportal.tickets.models import Comment, Event, EventKind, NotificationMute, Ticket
from supportal.tickets.workflow import Action, Status

logger = logging.getLogger("supportal.notifications")

# Only these kinds can lead to a mail; attachments travel with their comment.
RECORDED_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.COMMENTED,
        EventKind.ASSIGNED,
        EventKind.PARTICIPANT_ADDED,
        EventKind.QUOTE_PROPOSED,
    }
)
BATCH_SIZE = 20
CLAIM_LEASE_DURATION = timedelta(minutes=5)
MAX_ATTEMPTS = 8
LAST_ERROR_MAX_LENGTH = 2000
REPLY_LOCAL_PART = "support"
MUTE_SALT = "supportal.notifications.mute"


# --- Recording (inside the ticket service's transaction) -------------------------------------


def notification_event_record(event: Event) -> PendingNotification | None:
    """Remember that ``event`` may have to be told, as part of its action.

    Call it right after the Event row is written, in the same transaction. Side effects:
    creates or extends the action's PendingNotification (due now); on CREATED also gives the
    ticket its reply address. Events that never lead to mail are ignored.
    """
    if event.kind not in RECORDED_KINDS:
        return None
    with transaction.atomic():
        if event.kind == EventKind.CREATED:
            _reply_address_create(event.ticket_id)
        # Rows still unclaimed only: a row a worker already holds is not changed under it.
        # The lock keeps a worker from claiming the row between this read and our commit.
        same_action = PendingNotification.objects.select_for_update().filter(
            ticket_id=event.ticket_id,
            occurred_at=event.created_at,
            state=PendingState.PENDING,
            claim_token="",
        )
        if event.actor_id is not None:
            # A system step in the same transaction (auto-close right after resolving)
            # joins the person's action, as seed 000's last mail shows.
            same_action = same_action.filter(Q(actor_id=event.actor_id) | Q(actor__isnull=True))
        row = same_action.order_by("pk").first()
        if row is None:
            return PendingNotification.objects.create(
                ticket_id=event.ticket_id,
                actor_id=event.actor_id,
                occurred_at=event.created_at,
                event_ids=[event.pk],
                next_attempt_at=timezone.now(),
            )
        row.event_ids = [*row.event_ids, event.pk]
        fields = ["event_ids"]
        if row.actor_id is None and event.actor_id is not None:
            row.actor_id = event.actor_id
            fields.append("actor")
        row.save(update_fields=fields)
        return row


# --- Reply addresses and the "don't notify me" token ----------------------------------------


def _reply_token_new() -> str:
    # 120 random bits in lower-case base32: safe in a local part, and mail systems that fold
    # the case of local parts cannot break it.
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def _reply_address_create(ticket_id: int) -> TicketReplyAddress:
    existing = TicketReplyAddress.objects.filter(ticket_id=ticket_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TicketReplyAddress.objects.create(ticket_id=ticket_id, token=_reply_token_new())
    except IntegrityError:
        # Another worker gave this ticket its address first.
        return TicketReplyAddress.objects.get(ticket_id=ticket_id)


def reply_address_get(ticket: Ticket) -> str:
    """The request's own reply address ``support+<token>@SUPPORTAL_MAIL_DOMAIN``.

    Side effect: creates the token for a request that has none yet (requests older than this
    module)."""
    token = _reply_address_create(ticket.pk).token
    return f"{REPLY_LOCAL_PART}+{token}@{settings.SUPPORTAL_MAIL_DOMAIN}"


def reply_token_resolve(token: str) -> Ticket | None:
    """The request a reply token (or a whole ``support+<token>@domain`` address) belongs to,
    or None. For inbound mail: the sender must still be checked against the request."""
    token = (token or "").strip().lower()
    if "@" in token:
        local_part = token.split("@", 1)[0]
        token = local_part.split("+", 1)[1] if "+" in local_part else ""
    if not token:
        return None
    row = TicketReplyAddress.objects.select_related("ticket").filter(token=token).first()
    return row.ticket if row else None


def thread_root_id(ticket: Ticket) -> str:
    """The Message-ID every mail of this request refers to, so clients group them."""
    return f"<ticket-{ticket.pk}@{settings.SUPPORTAL_MAIL_DOMAIN}>"


def mute_token_make(*, ticket: Ticket, user: User) -> str:
    """A signed token for "don't notify me" on this request, for this person. No expiry:
    a one-click link in an old mail must still work."""
    # No timestamp in it: the same link for the same person and request, in every mail.
    return signing.Signer(salt=MUTE_SALT).sign_object([ticket.pk, user.pk])


def mute_url(*, ticket: Ticket, user: User) -> str:
    path = reverse("notifications:mute", args=[mute_token_make(ticket=ticket, user=user)])
    return f"{settings.SUPPORTAL_BASE_URL}{path}"


def ticket_mute_by_token(*, token: str, now: datetime | None = None) -> tuple[Ticket, User]:
    """The one-click "don't notify me" (RFC 8058 POST or the confirmation page's button).

    Raises NotFound for a tampered or unknown token. Side effects: those of
    ``tickets.services.ticket_mute_set`` (a NotificationMute row and an internal event).
    """
    from supportal.notifications.selectors import mute_token_read
    from supportal.tickets.services import ticket_mute_set

    ticket, user = mute_token_read(token)
    ticket_mute_set(ticket=ticket, user=user, is_muted=True, now=now)
    return ticket, user


# --- Agents' choices -------------------------------------------------------------------------

AGENT_PREFERENCE_FIELDS = (
    "has_new_ticket_mail",
    "has_customer_answer_mail",
    "has_assignment_mail",
    "has_third_party_answer_mail",
    "has_sla_warning_mail",
    "has_cancellation_mail",
)


def agent_preference_set(*, user: User, **choices: bool) -> AgentNotificationPreference:
    """Turn each of the agent mails on or off for ``user`` (agents only).

    Side effect: creates or updates the user's AgentNotificationPreference row."""
    if not (user.is_agent or user.is_superuser):
        raise PermissionRefused(_("Only the support team receives these e-mails."))
    unknown = set(choices) - set(AGENT_PREFERENCE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown choice."), field=",".join(sorted(unknown)))
    preference, _created = AgentNotificationPreference.objects.update_or_create(
        user=user, defaults={name: bool(value) for name, value in choices.items()}
    )
    return preference


# --- Administrators' wording of the mails ----------------------------------------------------


def notification_template_save(
    *, actor: User, template: str, language: str, subject: str, body_text: str, body_html: str
) -> NotificationTemplate | None:
    """Store an administrator's wording of one mail in one language (superusers only).

    Raises InvalidInput, with the compiler's message, when a part does not compile or the HTML
    turns autoescaping off; nothing is saved then. All parts empty: the override is removed and
    the files apply again (returns None). Side effect: creates, updates or deletes the row.
    """
    from django.core.exceptions import ValidationError

    from supportal.notifications.models import EDITABLE_TEMPLATES
    from supportal.notifications.rendering import template_check

    if not actor.is_superuser:
        raise PermissionRefused(_("Only administrators edit the notification e-mails."))
    if template not in dict(EDITABLE_TEMPLATES) or language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unknown e-mail or language."), field="template")
    parts = {"subject": subject, "body_text": body_text, "body_html": body_html}
    try:
        template_check(parts)
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field_name) from exc
    if not any(value.strip() for value in parts.values()):
        NotificationTemplate.objects.filter(template=template, language=language).delete()
        return None
    row, _created = NotificationTemplate.objects.update_or_create(
        template=template, language=language, defaults={**parts, "updated_by": actor}
    )
    return row


# --- Held addresses --------------------------------------------------------------------------


def address_suppress(
    *,
    email: str,
    reason: SuppressionReason = SuppressionReason.HARD_BOUNCE,
    detail: str = "",
    now: datetime | None = None,
) -> SuppressedAddress:
    """Stop sending to ``email`` (the inbound module calls this for a hard bounce). Later mail
    to it is kept in the outbox as held, with the reason. Side effect: one row, updated if
    the address was already held."""
    row, _created = SuppressedAddress.objects.update_or_create(
        email=email.strip().lower(),
        defaults={"reason": reason, "detail": detail[:2000], "created_at": now or timezone.now()},
    )
    return row


def address_release(*, email: str) -> bool:
    """Send to ``email`` again (mail already held stays held until retried in the admin)."""
    deleted, _details = SuppressedAddress.objects.filter(email=email.strip().lower()).delete()
    return bool(deleted)


# --- The worker ------------------------------------------------------------------------------


class _LeaseLost(Exception):
    """Another worker claimed the row after our lease ran out: its outcome is theirs."""


def notifications_send_due(now: datetime) -> int:
    """The worker queue: claim due actions and queue their mails in the outbox.

    Returns how many rows were handled. Side effects: per row, in one transaction, outbox rows
    and the row marked done; a failure is retried with back-off, and after MAX_ATTEMPTS the
    row is marked failed (visible in the admin).
    """
    rows = claim_due(
        PendingNotification.objects.filter(state=PendingState.PENDING),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
    )
    for row in rows:
        _handle(row, now=now, queue_mails=notification_mails_queue)
    return len(rows)


def _handle(
    row: PendingNotification | PendingSlaNotification,
    *,
    now: datetime,
    queue_mails: Callable[[Any], int],
) -> None:
    model = type(row)
    try:
        with transaction.atomic():
            count = queue_mails(row)
            marked = model.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
                state=PendingState.DONE,
                email_count=count,
                claim_token="",
                last_error="",
                handled_at=timezone.now(),
            )
            if not marked:
                raise _LeaseLost
    except _LeaseLost:
        logger.warning("notification %s was claimed by another worker; left to it", row.pk)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH]
        logger.exception("notification %s failed", row.pk)
        changes: dict[str, object] = {"last_error": error, "claim_token": ""}
        if row.attempts >= MAX_ATTEMPTS:
            changes["state"] = PendingState.FAILED
        else:
            changes["next_attempt_at"] = now + retry_delay(row.attempts)
        model.objects.filter(pk=row.pk, claim_token=row.claim_token).update(**changes)


@dataclass
class TicketAction:
    """What one action did, read from its events."""

    ticket: Ticket
    actor: User | None
    events: list[Event]
    created: Event | None = None
    statuses: list[Event] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    assignments: list[Event] = field(default_factory=list)
    participants_added: list[int] = field(default_factory=list)
    quotes: list[Event] = field(default_factory=list)

    @classmethod
    def from_events(cls, ticket: Ticket, actor: User | None, events: list[Event]) -> TicketAction:
        action = cls(ticket=ticket, actor=actor, events=events)
        for event in events:
            if event.kind == EventKind.CREATED:
                action.created = event
            elif event.kind == EventKind.STATUS_CHANGED:
                action.statuses.append(event)
            elif event.kind == EventKind.COMMENTED and event.comment is not None:
                action.comments.append(event.comment)
            elif event.kind == EventKind.ASSIGNED:
                action.assignments.append(event)
            elif event.kind == EventKind.PARTICIPANT_ADDED and event.data.get("user_id"):
                action.participants_added.append(event.data["user_id"])
            elif event.kind == EventKind.QUOTE_PROPOSED:
                action.quotes.append(event)
        return action

    @property
    def workflow_action(self) -> str:
        return self.statuses[0].data.get("action", "") if self.statuses else ""

    @property
    def final_status(self) -> str:
        return self.statuses[-1].data.get("to_status", "") if self.statuses else ""

    @property
    def public_comment(self) -> Comment | None:
        return next((comment for comment in self.comments if comment.is_public), None)

    @property
    def resolution(self) -> str:
        return next((s.data["resolution"] for s in self.statuses if s.data.get("resolution")), "")

    @property
    def is_resolved(self) -> bool:
        return any(s.data.get("to_status") == Status.RESOLVED for s in self.statuses)

    @property
    def always_told(self) -> bool:
        """Requests for information and the resolution reach even those who muted (seed 000)."""
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
        return recipient_language(self.user, desk=self.desk)


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
    assignee_ids = [e.data.get("assignee_id") for e in action.assignments]
    add(User.objects.filter(pk__in=[pk for pk in assignee_ids if pk]), "assigned")
    if ticket.assignee_id is not None:
        if action.actor_is_customer and action.public_comment is not None:
            add([ticket.assignee], "customer_answer")
        if action.workflow_action == Action.THIRD_PARTY_ANSWERED:
            add([ticket.assignee], "third_party_answer")
        if action.final_status == Status.CANCELLED:
            add([ticket.assignee], "cancelled")
    return wanted


def _agent_wants(user: User, kind: str, muted_ids: set[int]) -> bool:
    if not (user.is_active and (user.is_agent or user.is_superuser)):
        return False
    if not user.has_email_notifications:
        return False
    if kind != "assigned" and user.pk in muted_ids:
        return False  # a new responsibility is told even on a muted request
    preference = AgentNotificationPreference.objects.filter(user=user).first()
    return preference is None or getattr(preference, AGENT_MAILS[kind][1])


def _from_address(actor: User | None) -> str:
    """Seed 000's sender: the acting agent's name on our own address."""
    default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = (actor.get_full_name() if actor is not None else "") or default_name
    if not name:
        return default_address
    return str(Address(display_name=name, addr_spec=default_address))


def _previous_ids(ticket: Ticket) -> dict[str, str]:
    """The last Message-ID we sent to each address about this ticket."""
    last: dict[str, str] = {}
    for to, message_id in (
        OutboundEmail.objects.filter(ticket=ticket).order_by("pk").values_list("to", "message_id")
    ):
        for address in to:
            last[address.lower()] = message_id
    return last


class _Mailer:
    """Queues the mails of one action: headers, threading, held addresses."""

    def __init__(self, action: TicketAction) -> None:
        self.action = action
        self.ticket = action.ticket
        self.channels = NotificationSettings.load()
        self.reply_to = reply_address_get(self.ticket)
        self.root = thread_root_id(self.ticket)
        self.previous = _previous_ids(self.ticket)
        self.suppressed = {
            row.email: row
            for row in SuppressedAddress.objects.all().only("email", "reason", "detail")
        }
        self.overrides = {
            (row.template, row.language): row for row in NotificationTemplate.objects.all()
        }
        self.sent_to: set[str] = set()
        self.count = 0

    def queue(self, recipient: Recipient, template: str, context: dict[str, object]) -> None:
        if recipient.address in self.sent_to:
            return
        self.sent_to.add(recipient.address)
        link = mute_url(ticket=self.ticket, user=recipient.user)
        previous = self.previous.get(recipient.address)
        full_context = {
            "ticket": self.ticket,
            "recipient": recipient.user,
            "actor": self.action.actor,
            "channels": self.channels,
            "mute_url": link,
            **context,
        }
        email = email_queue(
            to=recipient.address,
            template=template,
            context=full_context,
            language=recipient.language,
            ticket=self.ticket,
            reply_to=self.reply_to,
            headers={
                "Auto-Submitted": "auto-generated",
                "X-Auto-Response-Suppress": "All",
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Supportal-Ticket": self.ticket.reference,
            },
            in_reply_to=previous or self.root,
            references=[self.root],
            from_email=_from_address(self.action.actor),
        )
        override = self.overrides.get((template, recipient.language))
        if override is not None:
            _override_apply(email, override, full_context, language=recipient.language)
        held = self.suppressed.get(recipient.address)
        if held is not None:
            # Kept, not sent: agents see it held with the reason; an administrator may retry.
            OutboundEmail.objects.filter(pk=email.pk).update(
                state=OutboundState.HELD,
                last_error=f"Held: {held.email} is a held address ({held.reason}). {held.detail}"[
                    :LAST_ERROR_MAX_LENGTH
                ].strip(),
            )
        self.count += 1


def _customer_template(action: TicketAction) -> str | None:
    if action.created is not None:
        return "ticket_created"
    if action.statuses or action.public_comment is not None:
        return "ticket_updated"
    return None


def notification_mails_queue(row: PendingNotification) -> int:
    """Decide who is told what about one action and queue those mails; returns how many.

    The rules (seed 000, docs/notifications.md): customers (requester, participants) get the
    confirmation, status changes and public comments, never internal notes, nothing about
    their own action except the confirmation, and nothing muted except requests for
    information and the resolution; agents get the four kinds they have not turned off.
    Side effects: outbox rows (held ones for held addresses), the ticket's reply address.
    """
    ticket = Ticket.objects.select_related(
        "desk", "requester", "requester__organization", "assignee"
    ).get(pk=row.ticket_id)
    events = list(
        Event.objects.filter(pk__in=row.event_ids)
        .select_related("comment", "comment__author")
        .order_by("pk")
    )
    action = TicketAction.from_events(ticket, row.actor, events)
    mailer = _Mailer(action)
    muted_ids = set(
        NotificationMute.objects.filter(ticket=ticket).values_list("user_id", flat=True)
    )
    actor_id = action.actor.pk if action.actor is not None else None

    customers = _customers_of(ticket)
    template = _customer_template(action)
    if template is not None:
        comment = action.public_comment
        base_context = {
            "kind": _update_kind(action),
            "status_labels": [Status(s.data["to_status"]).label for s in action.statuses],
            "final_status_label": Status(action.final_status).label if action.statuses else "",
            "resolution": action.resolution,
            "comment": comment,
            "comment_author": _name(comment.author) if comment else "",
            "attachment_names": _attachment_names(comment),
            "actor_name": _name(action.actor),
            "view_url": f"{settings.SUPPORTAL_BASE_URL}"
            + reverse("portal:request", args=[ticket.reference]),
        }
        for recipient in customers:
            if not recipient.user.is_active:
                continue
            is_own_action = recipient.user.pk == actor_id
            if is_own_action and not (action.created and recipient.user.pk == ticket.requester_id):
                continue  # nobody is told what they did, except the requester's receipt
            is_receipt = action.created is not None
            if not (is_receipt or action.always_told) and (
                recipient.user.pk in muted_ids or not recipient.user.has_email_notifications
            ):
                continue
            others = [r.address for r in customers if r.address != recipient.address]
            mailer.queue(
                recipient,
                template,
                {**base_context, "other_participants": list(dict.fromkeys(others))},
            )

    _participants_added_tell(action, mailer, customers, actor_id=actor_id)
    _quotes_tell(action, mailer, customers)

    for user, kind in _agent_kinds(action).values():
        if user.pk == actor_id or not _agent_wants(user, kind, muted_ids):
            continue
        comments = action.comments  # agents may read internal notes
        mailer.queue(
            Recipient(user=user, address=user.email.lower()),
            AGENT_MAILS[kind][0],
            {
                "actor_name": _name(action.actor),
                "comments": [(c, _name(c.author)) for c in comments],
                "status_labels": [Status(s.data["to_status"]).label for s in action.statuses],
                "view_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("workspace:ticket", args=[ticket.reference]),
                "preferences_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("notifications:preferences"),
            },
        )
    return mailer.count


def _portal_url(ticket: Ticket) -> str:
    return f"{settings.SUPPORTAL_BASE_URL}" + reverse("portal:request", args=[ticket.reference])


def _participants_added_tell(
    action: TicketAction, mailer: _Mailer, customers: list[Recipient], *, actor_id: int | None
) -> None:
    """A person the request was shared with is told so (not when it was shared as it was
    opened: the confirmation tells them). Their profile switch stops it; there is no mute yet."""
    if action.created is not None or not action.participants_added:
        return
    for user in User.objects.filter(pk__in=action.participants_added).order_by("pk"):
        if user.pk == actor_id or not user.is_active or not user.has_email_notifications:
            continue
        recipient = Recipient(user=user, address=user.email.lower(), desk=action.ticket.desk)
        others = [r.address for r in customers if r.address != recipient.address]
        mailer.queue(
            recipient,
            "participant_added",
            {
                "actor_name": _name(action.actor),
                "view_url": _portal_url(action.ticket),
                "other_participants": list(dict.fromkeys(others)),
            },
        )


def _quotes_tell(action: TicketAction, mailer: _Mailer, customers: list[Recipient]) -> None:
    """A proposed quote goes to the requester, always (it asks for their decision, like a
    request for information)."""
    if not action.quotes or not customers:
        return
    from supportal.tickets.models import Quote

    requester = customers[0]
    if not requester.user.is_active:
        return
    event = action.quotes[-1]
    quote = Quote.objects.filter(pk=event.data.get("quote_id")).first()
    if quote is None:
        return
    others = [r.address for r in customers if r.address != requester.address]
    mailer.queue(
        requester,
        "quote_proposed",
        {
            "actor_name": _name(action.actor),
            "quote": quote,
            "view_url": _portal_url(action.ticket),
            "other_participants": list(dict.fromkeys(others)),
        },
    )


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


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


def _attachment_names(comment: Comment | None) -> list[str]:
    if comment is None:
        return []
    return list(
        comment.attachments.filter(is_internal=False)
        .order_by("pk")
        .values_list("file_name", flat=True)
    )


def _override_apply(
    email: OutboundEmail, override: NotificationTemplate, context: dict[str, Any], *, language: str
) -> None:
    """Replace the queued mail's parts with the administrator's wording (same transaction)."""
    from supportal.notifications.rendering import RenderedMail, override_render

    rendered = override_render(
        override,
        context,
        language=language,
        fallback=RenderedMail(email.subject, email.body_text, email.body_html),
    )
    if "\n" in rendered.subject or "\r" in rendered.subject:
        raise ValueError("e-mail header Subject must be one line")
    email.subject = rendered.subject
    email.body_text = rendered.body_text
    email.body_html = rendered.body_html
    email.save(update_fields=["subject", "body_text", "body_html"])


# --- SLA mails -------------------------------------------------------------------------------


def notification_sla_event_record(sla_event: Any) -> PendingSlaNotification:
    """Remember that an SLA event must be mailed. Call it where the SlaEvent row is written,
    in the same transaction (the sweeper does). Side effect: one PendingSlaNotification, due
    now; its one-to-one with the event makes each SlaEvent mailed once."""
    return PendingSlaNotification.objects.create(
        sla_event=sla_event, next_attempt_at=timezone.now()
    )


def notifications_sla_send_due(now: datetime) -> int:
    """The worker queue for SLA mails: claim due rows and queue their mails in the outbox.

    Returns how many rows were handled. Side effects: as :func:`notifications_send_due`.
    """
    rows = claim_due(
        PendingSlaNotification.objects.filter(state=PendingState.PENDING),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
    )
    for row in rows:
        _handle(row, now=now, queue_mails=sla_mails_queue)
    return len(rows)


def _deadline_text(moment: datetime, recipient: Recipient) -> str:
    """The instant in the recipient's time zone and language, e.g. "12 January 2026, 11:00"."""
    try:
        zone = ZoneInfo(recipient_time_zone(recipient.user))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    with translation.override(recipient.language):
        return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


def sla_mails_queue(row: PendingSlaNotification) -> int:
    """Tell the people an SLA event names (``data["recipient_ids"]``, chosen by the sweeper):

    - warning: the assignee, or the desk's team leads when unassigned — unless they turned SLA
      warnings off, muted the request, or turned all their mail off;
    - breach and the customer's answer overdue: the assignee and/or the team leads, unless
      they turned all their mail off;
    - reply reminder: the requester (at the request's contact address), always, like a
      request for information — only while the request still waits for them.

    Returns how many mails were queued. Side effects: outbox rows, as for ticket actions.
    """
    from supportal.sla.models import Goal, SlaEvent, SlaEventKind

    event = SlaEvent.objects.select_related("clock").get(pk=row.sla_event_id)
    ticket = Ticket.objects.select_related(
        "desk", "requester", "requester__organization", "assignee"
    ).get(pk=event.ticket_id)
    mailer = _Mailer(TicketAction(ticket=ticket, actor=None, events=[]))
    recipient_ids = [pk for pk in event.data.get("recipient_ids", []) if pk]

    if event.kind == SlaEventKind.REPLY_REMINDER:
        if ticket.status != Status.WAITING_FOR_CUSTOMER:
            return 0  # the answer came before the worker did
        customers = _customers_of(ticket)
        requester = customers[0]
        if not requester.user.is_active:
            return 0
        deadline = event.clock.deadline_at or event.due_at
        others = [r.address for r in customers if r.address != requester.address]
        mailer.queue(
            requester,
            "customer_reply_reminder",
            {
                "deadline": _deadline_text(deadline, requester),
                "actor_name": "",
                "other_participants": list(dict.fromkeys(others)),
                "view_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("portal:request", args=[ticket.reference]),
            },
        )
        return mailer.count

    is_warning = event.kind == SlaEventKind.WARNING
    deadline = (event.clock.deadline_at or event.due_at) if is_warning else event.due_at
    muted_ids = set(
        NotificationMute.objects.filter(ticket=ticket).values_list("user_id", flat=True)
    )
    for user in User.objects.filter(pk__in=recipient_ids).order_by("pk"):
        if not (user.is_active and (user.is_agent or user.is_superuser)):
            continue
        if not user.has_email_notifications:
            continue
        if is_warning:
            preference = AgentNotificationPreference.objects.filter(user=user).first()
            if user.pk in muted_ids or (
                preference is not None and not preference.has_sla_warning_mail
            ):
                continue
        recipient = Recipient(user=user, address=user.email.lower())
        with translation.override(recipient.language):
            goal_label = str(Goal(event.goal).label)
        mailer.queue(
            recipient,
            "agent_sla",
            {
                "sla_kind": event.kind,
                "goal_label": goal_label,
                "deadline": _deadline_text(deadline, recipient),
                "target_minutes": event.data.get("target_minutes"),
                "actor_name": "",
                "view_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("workspace:ticket", args=[ticket.reference]),
                "preferences_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("notifications:preferences"),
            },
        )
    return mailer.count
