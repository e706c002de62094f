"""Turning an action (or an SLA event) into mails in the outbox."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from supportal.accounts.models import User
from supportal.core.text import one_line
from supportal.mail.inbound.tokens import personal_reply_address
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import email_queue, zone_or_default
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationSettings,
    NotificationTemplate,
    PendingNotification,
    PendingSlaNotification,
    SuppressedAddress,
)
from supportal.notifications.services.addresses import mute_url, thread_root_id
from supportal.notifications.services.rules import (
    AGENT_MAILS,
    Recipient,
    TicketAction,
    _agent_kinds,
    _agent_wants,
    _customer_template,
    _customers_of,
    _update_kind,
)
from supportal.tickets.models import Comment, Event, Feedback, NotificationMute, Ticket
from supportal.tickets.selectors import attachment_queryset_for_user
from supportal.tickets.workflow import Status

if TYPE_CHECKING:
    from supportal.sla.models import SlaEvent

LAST_ERROR_MAX_LENGTH = 2000


def _from_address(actor: User | None) -> str:
    """The sender of the reference story (docs/requirements.md#story): the acting agent's name on
    our own address. A customer's name never stands there (mail about a customer's action, to
    others or as her own receipt, comes from the desk), and a name is one clean line, so no
    name can break the header (docs/security.md)."""
    default_name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    is_support = actor is not None and (actor.is_agent or actor.is_superuser)
    name = one_line(actor.get_full_name() if actor is not None and is_support else "")
    name = name or default_name
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

    def queue(
        self,
        recipient: Recipient,
        template: str,
        context: dict[str, object],
        attachments: list[dict[str, str]] | None = None,
    ) -> None:
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
            time_zone=recipient.time_zone,
            ticket=self.ticket,
            # Personal: a reply on it from this person's address is theirs (docs/security.md).
            reply_to=personal_reply_address(ticket=self.ticket, user=recipient.user),
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
            attachments=attachments or (),
        )
        override = self.overrides.get((template, recipient.language))
        if override is not None:
            with timezone.override(zone_or_default(recipient.time_zone)):
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


def notification_mails_queue(row: PendingNotification) -> int:
    """Decide who is told what about one action and queue those mails; returns how many.

    The rules (docs/requirements.md#notifications, docs/notifications.md): customers (requester,
    participants) get the confirmation, status changes and public comments, never internal notes,
    nothing about their own action except the confirmation, and nothing muted except requests for
    information and the resolution; agents get the four kinds they have not turned off. Side
    effects: outbox rows (held ones for held addresses), the ticket's reply address.
    """
    action = _action_load(row)
    mailer = _Mailer(action)
    muted_ids = set(
        NotificationMute.objects.filter(ticket=action.ticket).values_list("user_id", flat=True)
    )
    actor_id = action.actor.pk if action.actor is not None else None
    customers = _customers_of(action.ticket)
    _customers_tell(action, mailer, customers, muted_ids=muted_ids, actor_id=actor_id)
    _participants_added_tell(action, mailer, customers, actor_id=actor_id)
    _quotes_tell(action, mailer, customers)
    _agents_tell(action, mailer, muted_ids=muted_ids, actor_id=actor_id)
    return mailer.count


def _action_load(row: PendingNotification) -> TicketAction:
    """The action a pending notification stands for: its ticket and events, read again."""
    ticket = Ticket.objects.select_related(
        "desk", "requester", "requester__organization", "assignee"
    ).get(pk=row.ticket_id)
    events = list(
        Event.objects.filter(pk__in=row.event_ids)
        .select_related("comment", "comment__author")
        .order_by("pk")
    )
    return TicketAction.from_events(ticket, row.actor, events)


def _customers_tell(
    action: TicketAction,
    mailer: _Mailer,
    customers: list[Recipient],
    *,
    muted_ids: set[int],
    actor_id: int | None,
) -> None:
    """The requester and participants: the confirmation, status changes, public comments."""
    template = _customer_template(action)
    if template is None:
        return
    ticket = action.ticket
    comment = action.public_comment
    base_context = {
        "kind": _update_kind(action),
        "status_labels": [Status(s.to_status).label for s in action.statuses],
        "final_status_label": Status(action.final_status).label if action.statuses else "",
        "resolution": action.resolution,
        "comment": comment,
        "comment_author": _name(comment.author) if comment else "",
        "actor_name": _name(action.actor),
        "view_url": _portal_url(ticket),
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
        # Each recipient is mailed the files their portal page shows them, no others.
        files_attached, files_linked = _comment_files(comment, recipient.user)
        mailer.queue(
            recipient,
            template,
            {
                **base_context,
                "attachment_names": [ref["name"] for ref in files_attached],
                "attachment_links": files_linked,
                "other_participants": list(dict.fromkeys(others)),
            },
            attachments=files_attached,
        )


def _agents_tell(
    action: TicketAction, mailer: _Mailer, *, muted_ids: set[int], actor_id: int | None
) -> None:
    """The agents concerned, of the kinds they have not turned off; they may read notes."""
    feedback = (
        Feedback.objects.filter(ticket=action.ticket).first()
        if action.feedback is not None
        else None
    )
    for user, kind in _agent_kinds(action).values():
        if user.pk == actor_id or not _agent_wants(user, kind, muted_ids):
            continue
        mailer.queue(
            Recipient(user=user, address=user.email.lower()),
            AGENT_MAILS[kind][0],
            {
                "actor_name": _name(action.actor),
                "comments": [(c, _name(c.author)) for c in action.comments],
                "status_labels": [Status(s.to_status).label for s in action.statuses],
                "view_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("workspace:ticket", args=[action.ticket.reference]),
                "preferences_url": f"{settings.SUPPORTAL_BASE_URL}"
                + reverse("notifications:preferences"),
                "feedback": feedback,
                "is_low_rating": feedback is not None and feedback.is_low,
            },
        )


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
    quote = Quote.objects.filter(pk=action.quotes[-1].quote_id).first()
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


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


# Files of a public comment travel with the mail up to this total
# (docs/requirements.md#notifications, N11); the rest are links to the portal's permission-checked
# download.
MAIL_ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024


def _comment_files(
    comment: Comment | None, viewer: User
) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """The public files of ``comment`` that ``viewer`` may see on the portal (the same rule:
    ``attachment_queryset_for_user``): those attached to the mail (smallest first, within
    ``MAIL_ATTACHMENTS_MAX_BYTES`` in all) and (name, link) for the others."""
    if comment is None:
        return [], []
    attached: list[dict[str, str]] = []
    linked: list[tuple[str, str]] = []
    total = 0
    visible = attachment_queryset_for_user(viewer, comment.ticket).values("pk")
    files = comment.attachments.filter(is_internal=False, pk__in=visible).order_by("size", "pk")
    for item in files.only("pk", "file", "file_name", "content_type", "size"):
        if total + item.size <= MAIL_ATTACHMENTS_MAX_BYTES:
            total += item.size
            attached.append(
                {
                    "path": item.file.name or "",
                    "name": item.file_name,
                    "content_type": item.content_type,
                }
            )
        else:
            link = settings.SUPPORTAL_BASE_URL + reverse("portal:file", args=[item.pk])
            linked.append((item.file_name, link))
    return attached, linked


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


def _deadline_text(moment: datetime, recipient: Recipient) -> str:
    """The instant in the recipient's time zone and language, e.g. "12 January 2026, 11:00"."""
    try:
        zone = ZoneInfo(recipient.time_zone)
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
    from supportal.sla.models import SlaEvent, SlaEventKind

    event = SlaEvent.objects.select_related("clock").get(pk=row.sla_event_id)
    ticket = Ticket.objects.select_related(
        "desk", "requester", "requester__organization", "assignee"
    ).get(pk=event.ticket_id)
    mailer = _Mailer(TicketAction(ticket=ticket, actor=None, events=[]))
    recipient_ids = [pk for pk in event.data.get("recipient_ids", []) if pk]

    if event.kind == SlaEventKind.REPLY_REMINDER:
        _reply_reminder_tell(event, mailer)
    else:
        _sla_agents_tell(event, mailer, recipient_ids)
    return mailer.count


def _reply_reminder_tell(event: SlaEvent, mailer: _Mailer) -> None:
    """The requester is reminded, while the request still waits for them."""
    ticket = mailer.ticket
    if ticket.status != Status.WAITING_FOR_CUSTOMER:
        return  # the answer came before the worker did
    customers = _customers_of(ticket)
    requester = customers[0]
    if not requester.user.is_active:
        return
    deadline = event.clock.deadline_at or event.due_at
    others = [r.address for r in customers if r.address != requester.address]
    mailer.queue(
        requester,
        "customer_reply_reminder",
        {
            "deadline": _deadline_text(deadline, requester),
            "actor_name": "",
            "other_participants": list(dict.fromkeys(others)),
            "view_url": _portal_url(ticket),
        },
    )


def _sla_agents_tell(event: SlaEvent, mailer: _Mailer, recipient_ids: list[int]) -> None:
    """The agents the sweeper chose for a warning, a breach or an overdue answer."""
    from supportal.sla.models import Goal, SlaEventKind

    ticket = mailer.ticket
    is_warning = event.kind == SlaEventKind.WARNING
    deadline = (event.clock.deadline_at or event.due_at) if is_warning else event.due_at
    muted_ids = set(
        NotificationMute.objects.filter(ticket=ticket).values_list("user_id", flat=True)
    )
    for user in User.objects.filter(pk__in=recipient_ids).order_by("pk"):
        if not _sla_mail_wanted(user, is_warning=is_warning, muted_ids=muted_ids):
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


def _sla_mail_wanted(user: User, *, is_warning: bool, muted_ids: set[int]) -> bool:
    """Agents only, with mail on; a warning also heeds the request's mute and the agent's SLA
    warning switch."""
    if not (user.is_active and (user.is_agent or user.is_superuser)):
        return False
    if not user.has_email_notifications:
        return False
    if not is_warning:
        return True
    preference = AgentNotificationPreference.objects.filter(user=user).first()
    return user.pk not in muted_ids and (preference is None or preference.has_sla_warning_mail)
