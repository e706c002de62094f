"""The agent's ticket page as data: what it shows, built in named steps (docs/workspace.md)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, QuerySet, Sum, Value, When, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.languages import recipient_language, recipient_time_zone
from supportal.accounts.models import Contract, Language, User
from supportal.core import paging
from supportal.core.statements import KeptStatement
from supportal.desks.choices import (
    custom_fields_kept,
)
from supportal.desks.models import Priority, Product, RequestType
from supportal.replies import selectors as reply_selectors
from supportal.replies.placeholders import PlaceholderValues
from supportal.sla.selectors import SlaPanel, sla_panel_for
from supportal.tickets import previews, selectors, workflow
from supportal.tickets.events import Commented
from supportal.tickets.models import (
    Attachment,
    EventKind,
    Feedback,
    Participant,
    Quote,
    Ticket,
)
from supportal.tickets.names import names_kept
from supportal.tickets.timeline import TimelineEntry
from supportal.tickets.workflow import Action, Role, Status
from supportal.workspace import live, presence
from supportal.workspace.events import events_describe
from supportal.workspace.forms import QuoteForm

RECENT_TICKETS = 5
CUSTOMER_ONLY_ACTIONS = {Action.CUSTOMER_REPLY, Action.CUSTOMER_RESOLVE}


def desk_agents_for(ticket: Ticket):
    return User.objects.filter(desk_memberships__desk_id=ticket.desk_id, is_active=True).order_by(
        "first_name", "last_name", "email"
    )


def _copied_not_participants(
    ticket: Ticket, events: list[TimelineEntry], participants: list[Participant]
) -> list[str]:
    """The addresses the customers' mails were also sent to (To/Cc) that are not on the request
    yet, for one-click sharing (docs/languages.md#customers-who-only-use-e-mail). No query: read
    from the events and participants the page shows anyway."""
    if not ticket.is_open:
        return []
    on_request = {p.user.email.lower() for p in participants}
    on_request.add(ticket.requester.email.lower())
    found: dict[str, str] = {}
    for event in events:
        # Kept on the stored mail (entry.copied), or on the mail's note before that.
        copied = [*event.copied]
        if isinstance(event.payload, Commented):
            copied.extend(event.payload.copied)
        for address in copied:
            if address.lower() not in on_request:
                found.setdefault(address.lower(), address)
    return list(found.values())


def colleagues_for(ticket: Ticket):
    """The requester's colleagues the request could still be shared with."""
    if ticket.organization_id is None:
        return User.objects.none()
    return _colleagues_build(None, _colleague_values(ticket))


def _colleague_values(ticket: Ticket) -> dict[str, Any]:
    return {
        "organization_id": ticket.organization_id,
        "requester_id": ticket.requester_id,
        "ticket_id": ticket.pk,
    }


def _colleagues_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[User]:
    return (
        User.objects.filter(
            organization_id=values["organization_id"],
            is_active=True,
            is_agent=False,
            is_superuser=False,
            is_company_account=False,
        )
        .exclude(pk=values["requester_id"])
        .exclude(participations__ticket_id=values["ticket_id"])
        .order_by("first_name", "last_name", "email")
    )


def _recent_build(desk_ids: tuple[int, ...] | None, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    return _recent_of(selectors.tickets_of_desks(desk_ids), values["requester_id"])


def _recent_of(visible: QuerySet[Ticket], requester_id: int) -> QuerySet[Ticket]:
    is_open = When(status__in=workflow.OPEN_STATUSES, then=Value(1))
    return (
        visible.filter(requester_id=requester_id)
        .annotate(
            open_total=Window(Sum(Case(is_open, default=Value(0), output_field=IntegerField())))
        )
        # The card shows each one's reference, summary and status: only those columns.
        .only("reference", "summary", "status", "created_at")
        .order_by("-created_at", "-pk")[: RECENT_TICKETS + 1]
    )


def _contracts_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Contract]:
    return (
        Contract.objects.in_force(values["day"])
        .filter(organization_id=values["organization_id"])
        .select_related("product")
        .prefetch_related("priorities")
    )


def _picker_colleagues_build(limit: int, values: Mapping[str, Any]) -> QuerySet[User]:
    # The shape is the menu's limit (written into the statement's LIMIT).
    return _colleagues_build(None, values)[: limit + 1]


# The page's statements that are the same for every request but their values, compiled once
# per process (core/statements.py; docs/performance.md, "Tenth round: the request page and the
# ticket page"): the menu of colleagues, the customer card's requests (for each set of desks)
# and contracts.
_PICKER_COLLEAGUES = KeptStatement(_picker_colleagues_build)
_RECENT_TICKETS = KeptStatement(_recent_build)
_CONTRACTS = KeptStatement(_contracts_build)


def _colleague_choices(ticket: Ticket) -> list[User] | None:
    """``paging.picker_choices(colleagues_for(ticket))``, compiled once per process."""
    if ticket.organization_id is None:
        return []
    return paging.picker_cut(
        _PICKER_COLLEAGUES.rows(paging.PICKER_LIMIT, _colleague_values(ticket))
    )


def _recent_tickets(user: User, ticket: Ticket) -> tuple[list[Ticket], int]:
    """The requester's latest other requests the agent may see (their desks' requests, as
    ``ticket_queryset_for_user``) and how many of theirs are open, in one query (the window
    counts over all their requests before the limit applies)."""
    rows: list[Ticket]
    if user.is_active and (user.is_agent or user.is_superuser):
        desk_ids = selectors.desk_ids_for_agent(user)
        shape = None if desk_ids is None else tuple(sorted(desk_ids))
        rows = _RECENT_TICKETS.rows(shape, {"requester_id": ticket.requester_id})
    else:
        rows = list(_recent_of(selectors.ticket_queryset_for_user(user), ticket.requester_id))
    open_total = int(getattr(rows[0], "open_total", 0)) if rows else 0
    return [t for t in rows if t.pk != ticket.pk][:RECENT_TICKETS], open_total


def _custom_fields(ticket: Ticket) -> list[dict[str, object]]:
    """The desk's custom fields for the ticket's type, with their labels and values; values
    under keys no field defines (any more) follow under their keys."""
    values = dict(ticket.custom_fields or {})
    rows: list[dict[str, object]] = []
    # Kept per process for the desk's version (docs/performance.md, "Fifth round").
    for field in sorted(custom_fields_kept(ticket.desk), key=lambda f: (f.position, f.pk)):
        if field.request_type_id not in (None, ticket.request_type_id) and field.name not in values:
            continue
        value = values.pop(field.name, "")
        rows.append(
            {
                "name": field.name,
                "label": field.label,
                "kind": field.kind,
                # (stored value, name in the reader's language) (docs/languages.md#names)
                "choices": field.choice_pairs(),
                "is_required": field.is_required,
                "value": value,
                "value_label": field.choice_label(value) if field.choices else value,
            }
        )
    rows += [
        {"name": name, "label": name, "value": value, "kind": ""} for name, value in values.items()
    ]
    return rows


def _with_previews(attachments: list[Attachment]) -> list[Attachment]:
    """The attachments, each with ``preview_kind`` and whether its preview is made yet (a
    look at the storage, no query)."""
    rows = list(attachments)
    for attachment in rows:
        kind = previews.preview_kind(attachment.file_name, attachment.content_type)
        attachment.preview_kind = kind  # type: ignore[attr-defined]
        attachment.has_preview = bool(kind) and previews.preview_exists(attachment.pk)  # type: ignore[attr-defined]
    return rows


def _customer_locale(ticket: Ticket, now) -> dict[str, object]:
    """The requester's language and local time, for the customer panel."""
    zone_name = recipient_time_zone(ticket.requester, desk=ticket.desk)
    language = recipient_language(ticket.requester, desk=ticket.desk)
    return {
        "language": dict(Language.choices).get(language, language),
        "time_zone": zone_name,
        "local_time": timezone.localtime(now, ZoneInfo(zone_name)),
    }


@dataclass
class CustomerCard:
    """The customer panel: the requester's language and local time, the custom fields,
    contracts and latest requests. On the full page, and in a fragment only when asked for
    (``customer_card``: it changes when the request opens or closes)."""

    customer_card: bool = False
    customer_locale: dict[str, object] = dataclasses.field(default_factory=dict)
    custom_fields: list[dict[str, object]] = dataclasses.field(default_factory=list)
    contracts: list[Contract] = dataclasses.field(default_factory=list)
    recent_tickets: list[Ticket] = dataclasses.field(default_factory=list)
    open_ticket_count: int = 0


@dataclass
class Draft:
    """The agent's unsent input, shown again after a refusal or a collision warning."""

    body: str = ""
    visibility: str = "public"
    then: str = ""
    changes: list[TimelineEntry] = dataclasses.field(default_factory=list)
    pending_action: str = ""
    pending: Mapping[str, str] = dataclasses.field(default_factory=dict)
    had_files: bool = False


@dataclass
class TicketPage:
    """What the agent's ticket page, and its fragment of changing parts, show (the templates'
    context, spread out flat by ``context()``)."""

    ticket: Ticket
    events: list[TimelineEntry]  # newest first
    last_event_id: int
    attachments: list[Attachment]
    participants: list[Participant]
    copied: list[str]
    colleagues: list[User] | None  # None: too many for a menu, shared by address instead
    actions: list[Action]
    feedback: Feedback | None
    is_low_rating: bool
    reply_then: list[tuple[str, str]]
    is_final: bool
    is_open: bool
    reasons: Sequence[tuple[str, object]]  # (value, label)
    is_team_lead: bool
    can_take_self: bool
    desk_agents: QuerySet[User] | list[User]
    priorities: list[Priority]
    request_types: list[RequestType]
    products: list[Product]
    quotes: list[Quote]
    quote_form: QuoteForm
    others: list[presence.Presence]
    poll_seconds: int
    now: datetime
    sla: SlaPanel | None
    customer: CustomerCard
    draft: Draft
    canned: list[dict[str, object]] = dataclasses.field(default_factory=list)
    token: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    def context(self) -> dict[str, object]:
        """The flat mapping the templates read (the card and the draft spread out)."""
        context = {f.name: getattr(self, f.name) for f in fields(self)}
        for part in (context.pop("customer"), context.pop("draft")):
            context.update({f.name: getattr(part, f.name) for f in fields(part)})
        return context


def ticket_page_for(user: User, ticket: Ticket, *, draft: Draft) -> TicketPage:
    now = timezone.now()
    priorities, request_types, products = names_kept(ticket)
    roles = selectors.ticket_roles(user, ticket)
    ticket_status = Status(ticket.status)
    participants = selectors.participant_rows(ticket)
    logged = selectors.event_rows_for_user(user, ticket)
    # The people the events name are the request's own, as a rule: no query for them.
    events = events_describe(
        logged, known=[ticket.requester, ticket.assignee, *(p.user for p in participants)]
    )
    if presence.presence_touch(ticket_id=ticket.pk, user=user):
        live.presence_announce(ticket)
    feedback = _feedback(ticket, events)
    actions = [
        a for a in workflow.allowed_actions(ticket_status, roles) if a not in CUSTOMER_ONLY_ACTIONS
    ]
    is_team_lead = Role.TEAM_LEAD in roles
    return TicketPage(
        ticket=ticket,
        events=events,
        last_event_id=max((e.pk for e in events), default=0),
        # The page names no uploader: the files without their uploaders' columns.
        attachments=_with_previews(selectors.attachment_rows_for_user(user, ticket)),
        participants=participants,
        copied=_copied_not_participants(ticket, events, participants),
        colleagues=_colleague_choices(ticket) if ticket.is_open else [],
        actions=actions,
        feedback=feedback,
        is_low_rating=feedback is not None and feedback.is_low,
        reply_then=_reply_then(actions),
        is_final=ticket_status in workflow.FINAL_STATUSES,
        is_open=ticket.is_open,
        reasons=workflow.WaitingReason.choices,
        is_team_lead=is_team_lead,
        can_take_self=ticket.is_open
        and ticket.assignee_id != user.pk
        and workflow.can_assign(roles, to_self=True, status=ticket_status),
        desk_agents=desk_agents_for(ticket) if is_team_lead else [],
        # What only the administration changes: kept per process (desks.choices).
        priorities=priorities,
        request_types=request_types,
        products=[p for p in products if p.is_active],
        quotes=selectors.quote_list_for_events(ticket, logged),
        quote_form=QuoteForm(initial={"currency": "RON"}),
        others=presence.presence_others(ticket_id=ticket.pk, user=user),
        poll_seconds=presence.POLL_SECONDS,
        now=now,
        sla=sla_panel_for(ticket, user, now=now),
        customer=CustomerCard(),
        draft=draft,
    )


def _feedback(ticket: Ticket, events: list[TimelineEntry]) -> Feedback | None:
    """Read only when the log says there is one, so a page without feedback costs no query."""
    if any(e.kind == EventKind.FEEDBACK_GIVEN for e in events):
        return Feedback.objects.filter(ticket=ticket).first()
    return None


def _reply_then(actions: list[Action]) -> list[tuple[str, str]]:
    """The status changes offered next to "Send" that the workflow allows now."""
    return [
        (action.value, label)
        for action, label in (
            (Action.REQUEST_INFO, _("and wait for the customer")),
            (Action.RESOLVE, _("and resolve")),
        )
        if action in actions
    ]


def customer_card_for(user: User, ticket: Ticket, *, now: datetime) -> CustomerCard:
    locale = _customer_locale(ticket, now)
    contracts = _contracts_in_force(ticket)
    recent_tickets, open_ticket_count = _recent_tickets(user, ticket)
    return CustomerCard(
        customer_card=True,
        customer_locale=locale,
        # Swapped with the open-dependent parts only, i.e. with the customer card.
        custom_fields=_custom_fields(ticket),
        contracts=contracts,
        recent_tickets=recent_tickets,
        open_ticket_count=open_ticket_count,
    )


def canned_for(user: User, ticket: Ticket) -> list[dict[str, object]]:
    """The desk's canned replies, filled in for this ticket, for the reply form's picker
    (each placeholder's value read once for all of them)."""
    values = PlaceholderValues(ticket=ticket, agent=user)
    return [
        {
            "id": r.pk,
            "title": r.title,
            "text": reply_selectors.canned_reply_render(
                r, ticket=ticket, agent=user, values=values
            ),
        }
        for r in reply_selectors.canned_reply_rows_for_ticket(user, ticket)
    ]


def _contracts_in_force(ticket: Ticket) -> list[Contract]:
    if not ticket.organization_id:
        return []
    return _CONTRACTS.rows(
        None, {"organization_id": ticket.organization_id, "day": timezone.localdate()}
    )
