"""Reads with permission built in. What a user may not see does not exist for them: NotFound.

Every interface (portal, workspace, API, inbound mail) fetches tickets through these functions,
so the privacy rules (docs/requirements.md#visibility) live in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils.translation import gettext as _

from supportal.accounts.models import Organization, OrganizationProduct, User
from supportal.core.errors import NotFound
from supportal.core.memo import remembered
from supportal.core.statements import KeptStatement
from supportal.desks.models import (
    DeskMembership,
    DeskRole,
)
from supportal.tickets.filing import (  # noqa: F401 - re-exported
    company_product_ids,
    priority_ids_allowed,
    priority_ids_allowed_by_product,
    priority_is_allowed,
    priority_queryset_allowed,
    product_queryset_for_customer,
    products_for_customer,
    request_type_queryset_for_customer,
)
from supportal.tickets.models import (
    Attachment,
    Comment,
    Event,
    EventKind,
    NotificationMute,
    Participant,
    Quote,
    QuoteState,
    Ticket,
)
from supportal.tickets.workflow import Role, Status

R = TypeVar("R", Event, Attachment, Participant)


def desk_ids_for_agent(user: User) -> set[int] | None:
    """The desks an agent works; None means every desk (administrators)."""
    if user.is_superuser:
        return None
    if not user.is_agent:
        return set()
    return set(desk_roles(user))


def desk_roles(user: User) -> dict[int, str]:
    """The desks ``user`` is a member of, with the role in each: one query per request
    (remembered on the user object, ``core.memo``), however many checks a page makes."""
    return remembered(
        user,
        "desk_roles",
        lambda: dict(DeskMembership.objects.filter(user=user).values_list("desk_id", "role")),
    )


class InSubquery(Lookup):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``.

    The PostgreSQL form runs the subquery once (an InitPlan) and is an index condition, so it
    can join other conditions in a BitmapOr: "own OR shared with me OR my company's" then reads
    only the matching rows through their indexes, where ``IN``/``EXISTS`` under an OR make the
    planner test every ticket of the table (docs/performance.md).
    """

    lookup_name = "in_subquery"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _shared_with(user: User) -> InSubquery:
    """Tickets ``user`` is a named participant of."""
    return InSubquery(F("pk"), Participant.objects.filter(user=user).values("ticket_id"))


def _own(user: User) -> Q:
    """The requests ``user`` made or is a named participant of: always theirs to see."""
    return Q(requester=user) | Q(_shared_with(user))


def company_sharing(user: User) -> tuple[bool, list[int]]:
    """What ``user``'s company shares among colleagues: whether requests without a product are
    shared (the company's setting), and the products whose requests are.

    One query, remembered on the user object (``core.memo``): a page asks for it for its list
    and again for its navigation's count.
    """
    organization_id = user.organization_id
    if organization_id is None:
        return False, []

    def read() -> tuple[bool, list[int]]:
        rows = list(
            Organization.objects.filter(pk=organization_id)
            .annotate(
                shared=FilteredRelation(
                    "product_links", condition=Q(product_links__shares_requests=True)
                )
            )
            .values_list("shares_requests", "shared__product_id")
        )
        return (
            bool(rows and rows[0][0]),
            sorted(product_id for _, product_id in rows if product_id is not None),
        )

    return remembered(user, f"company_sharing_{organization_id}", read)


def _company_shared_as_subqueries(organization_id: int) -> Q:
    """A company's shared requests (below) as conditions on the company's rows, without
    reading them first: for one request by its reference, where the planner reads that one
    row first (docs/performance.md, "Sixth round": a statement fewer on the request page)."""
    shared_products = OrganizationProduct.objects.filter(
        organization_id=organization_id, shares_requests=True
    ).values("product_id")
    company_shares = Exists(Organization.objects.filter(pk=organization_id, shares_requests=True))
    return Q(product_id__in=shared_products) | (Q(product__isnull=True) & Q(company_shares))


def _customer_visibility(user: User, *, one_row: bool = False) -> Q:
    own = _own(user)
    if user.organization_id is None:
        return own
    company = Q(organization_id=user.organization_id)
    if user.is_customer_admin:
        return own | company
    if one_row:
        return own | (company & _company_shared_as_subqueries(user.organization_id))
    shared = _colleagues_shared(user)
    return own if shared is None else own | (company & shared)


def _colleagues_shared(user: User) -> Q | None:
    """Which of the company's requests a customer who is not its admin sees beyond their own,
    as a condition on the company's rows; None when the company shares none.

    Per product where the company has the product, else the company's own setting for
    requests without a product (docs/requirements.md#visibility, V3). The shared products are
    read first and written into the statement as values: as a subquery, PostgreSQL cannot
    know the list is short (or empty) and guessed that a company shares hundreds of requests
    with everyone, so it walked every ticket by date to fill a customer's page of a few dozen
    (docs/performance.md)."""
    company_shares, shared_products = company_sharing(user)
    shared = Q(product_id__in=shared_products) if shared_products else None
    if company_shares:
        shared = Q(product__isnull=True) if shared is None else shared | Q(product__isnull=True)
    return shared


def ticket_queryset_for_user(user: User, *, one_row: bool = False) -> QuerySet[Ticket]:
    """Every ticket this user may see, as one filter (composable with search and lists).
    ``one_row``: for reading one request by a unique key (the company's sharing as subqueries,
    not read first)."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated or not user.is_active:
        return tickets.none()
    if user.is_agent or user.is_superuser:
        return tickets_of_desks(desk_ids_for_agent(user))
    return tickets.filter(_customer_visibility(user, one_row=one_row))


def company_ticket_queryset_for_user(user: User) -> QuerySet[Ticket]:
    """``ticket_queryset_for_user(user)`` narrowed to the requests of the user's company.

    For a customer the company's condition comes outermost: ``(own | (company & shared)) &
    company`` is ``company & (own | shared)``, and a company's administrator sees all of it.
    PostgreSQL does not fold the first form, so it gathered every open request of the company
    before counting a thousand of them (a bitmap of 45,912 rows for the largest company at a
    million tickets); the second walks the company's own index and stops at what the page
    needs (docs/performance.md, "Seventeenth round: the company list")."""
    company = Q(organization_id=user.organization_id)
    if not _is_customer(user) or user.organization_id is None:
        return ticket_queryset_for_user(user).filter(company)
    if user.is_customer_admin:
        return Ticket.objects.filter(company)
    own = _own(user)
    shared = _colleagues_shared(user)
    return Ticket.objects.filter(company & (own if shared is None else own | shared))


def tickets_of_desks(desk_ids: Iterable[int] | None) -> QuerySet[Ticket]:
    """The tickets of these desks (None: every desk): what an agent of them may see."""
    tickets = Ticket.objects.all()
    return tickets if desk_ids is None else tickets.filter(desk_id__in=desk_ids)


def ticket_get_for_user(
    user: User,
    reference: str,
    *,
    for_update: bool = False,
    with_viewer_state: bool = False,
    with_names: bool = True,
) -> Ticket:
    """The request by its reference, if ``user`` may see it, with the rows its pages show.

    ``with_viewer_state``: its feedback (``ticket.feedback``, None-cached when there is none)
    and whether ``user`` muted it (``ticket.is_muted_by_viewer``) come in the same statement,
    for the customer's request page (docs/performance.md, "Fifth round").
    ``with_names=False``: without its product, request type and priority, for a page that has
    them kept already (the agent's ticket page, "Sixth round"); each is read when first used.
    """
    if with_viewer_state and _is_customer(user) and not for_update:
        return _request_page_ticket(user, reference.upper(), with_names=with_names)
    is_support = (user.is_agent or user.is_superuser) and user.is_active
    if is_support and not with_viewer_state and not for_update:
        return _agent_ticket(user, reference.upper(), with_names=with_names)
    tickets = _ticket_with_rows(user, with_viewer_state=with_viewer_state, with_names=with_names)
    if for_update:
        tickets = tickets.select_for_update(of=("self",))
    # get(), not first(): one row by its unique reference, without first()'s ORDER BY.
    try:
        return tickets.get(reference=reference.upper())
    except Ticket.DoesNotExist:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": reference}) from None


def _ticket_with_rows(user: User, *, with_viewer_state: bool, with_names: bool) -> QuerySet[Ticket]:
    related = ["desk", "requester", "assignee", "organization"]
    if with_names:
        related += ["product", "request_type", "priority"]
    tickets = ticket_queryset_for_user(user, one_row=with_viewer_state).select_related(*related)
    if with_viewer_state:
        tickets = tickets.select_related("feedback").annotate(
            is_muted_by_viewer=Exists(
                NotificationMute.objects.filter(ticket=OuterRef("pk"), user_id=user.pk)
            )
        )
    return tickets


def _is_customer(user: User) -> bool:
    return user.is_authenticated and user.is_active and not (user.is_agent or user.is_superuser)


@dataclass(frozen=True)
class _RequestPageShape:
    """What the request page's statement is built from besides its values."""

    has_organization: bool
    is_customer_admin: bool
    with_names: bool


def _request_page_build(shape: _RequestPageShape, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    """The customer's request page's statement for the values of one request: the request by
    its reference as the customer may see it, with its rows, the viewer's state and the
    navigation's count of requests awaiting their reply (one statement for both)."""
    user = User(
        pk=values["user_id"],
        organization_id=values["organization_id"] if shape.has_organization else None,
        is_customer_admin=shape.is_customer_admin,
        is_active=True,
    )
    awaiting = (
        ticket_queryset_awaiting_reply(user)
        .order_by()
        .annotate(count=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("count")
    )
    return (
        _ticket_with_rows(user, with_viewer_state=True, with_names=shape.with_names)
        .annotate(
            awaiting_reply_count=Subquery(awaiting),
            # Most requests have neither: the page then reads neither (``_none_known``).
            has_attachments=Exists(Attachment.objects.filter(ticket=OuterRef("pk"))),
            has_participants=Exists(Participant.objects.filter(ticket=OuterRef("pk"))),
        )
        .filter(reference=values["reference"])
    )


# Compiled once per process for each shape (core/statements.py; docs/performance.md, "Seventh
# round"): building and compiling it cost more CPU than the statement takes to run.
_REQUEST_PAGE_TICKET = KeptStatement(_request_page_build)


def _request_page_ticket(user: User, reference: str, *, with_names: bool) -> Ticket:
    """``ticket_get_for_user(with_viewer_state=True)`` for a customer, with
    ``ticket.awaiting_reply_count`` for the navigation (``portal_tags``)."""
    shape = _RequestPageShape(
        has_organization=user.organization_id is not None,
        is_customer_admin=user.is_customer_admin,
        with_names=with_names,
    )
    values: dict[str, Any] = {"user_id": user.pk, "reference": reference}
    if shape.has_organization:
        values["organization_id"] = user.organization_id
    rows = _REQUEST_PAGE_TICKET.rows(shape, values)
    if not rows:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": reference})
    return rows[0]


@dataclass(frozen=True)
class _AgentTicketShape:
    desk_ids: tuple[int, ...] | None  # None: every desk (administrators)
    with_names: bool


def _agent_ticket_build(shape: _AgentTicketShape, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    related = ["desk", "requester", "assignee", "organization"]
    if shape.with_names:
        related += ["product", "request_type", "priority"]
    tickets = Ticket.objects.select_related(*related)
    if shape.desk_ids is not None:
        tickets = tickets.filter(desk_id__in=shape.desk_ids)
    return tickets.filter(reference=values["reference"])


# Compiled once per process for each set of desks (core/statements.py).
_AGENT_TICKET = KeptStatement(_agent_ticket_build)


def _agent_ticket(user: User, reference: str, *, with_names: bool) -> Ticket:
    """``ticket_get_for_user`` for an agent: their desks' request by its reference."""
    desk_ids = desk_ids_for_agent(user)
    shape = _AgentTicketShape(
        desk_ids=None if desk_ids is None else tuple(sorted(desk_ids)), with_names=with_names
    )
    if shape.desk_ids == ():
        raise NotFound(_("There is no request %(reference)s.") % {"reference": reference})
    rows = _AGENT_TICKET.rows(shape, {"reference": reference})
    if not rows:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": reference})
    return rows[0]


def ticket_roles(user: User | None, ticket: Ticket) -> frozenset[Role]:
    """The workflow roles this person holds on this ticket (None is the system)."""
    if user is None:
        return frozenset({Role.SYSTEM})
    roles: set[Role] = set()
    if user.is_agent or user.is_superuser:
        membership_role = desk_roles(user).get(ticket.desk_id)
        if user.is_superuser or membership_role == DeskRole.TEAM_LEAD:
            roles |= {Role.AGENT, Role.TEAM_LEAD}
        elif membership_role == DeskRole.AGENT:
            roles.add(Role.AGENT)
        if roles and ticket.assignee_id == user.pk:
            roles.add(Role.ASSIGNEE)
        return frozenset(roles)
    if ticket.requester_id == user.pk:
        roles.add(Role.REQUESTER)
    elif ticket_queryset_for_user(user).filter(pk=ticket.pk).exists():
        # Named participants and colleagues allowed to see the ticket act alike.
        roles.add(Role.PARTICIPANT)
    return frozenset(roles)


def is_support_for(user: User | None, ticket: Ticket) -> bool:
    return user is not None and bool({Role.AGENT, Role.TEAM_LEAD} & ticket_roles(user, ticket))


def comment_list_for_user(user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The ticket's comments; internal notes only for its desk's agents."""
    comments = ticket.comments.select_related("author").prefetch_related("attachments")
    if not is_support_for(user, ticket):
        comments = comments.filter(is_public=True)
    return comments


def attachment_queryset_for_user(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """Agents see all; a customer sees the support team's public files, their own uploads, and
    colleagues' uploads only where the company shares attachments
    (docs/requirements.md#visibility, V5)."""
    attachments = ticket.attachments.select_related("uploaded_by")
    if is_support_for(user, ticket):
        return attachments
    visible = Q(is_internal=False) & (
        Q(uploaded_by=user) | Q(uploaded_by__is_agent=True) | Q(uploaded_by__isnull=True)
    )
    if ticket.organization is not None and ticket.organization.shares_attachments:
        visible |= Q(is_internal=False, uploaded_by__organization_id=ticket.organization_id)
    return attachments.filter(visible)


def attachment_get_for_user(user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.filter(pk=attachment_id, ticket__in=ticket_queryset_for_user(user))
        .select_related("ticket", "ticket__organization")
        .first()
    )
    if (
        attachment is None
        or not attachment_queryset_for_user(user, attachment.ticket)
        .filter(pk=attachment.pk)
        .exists()
    ):
        raise NotFound(_("There is no such file."))
    return attachment


def event_list_for_user(user: User, ticket: Ticket) -> QuerySet[Event]:
    """The activity timeline, newest first; customers see only public events."""
    events = ticket.events.select_related("actor", "comment")
    if not is_support_for(user, ticket):
        events = events.filter(is_public=True)
    return events


@dataclass(frozen=True)
class _PageRowsShape:
    """What the page's rows of one request are built from besides the request and viewer."""

    is_support: bool  # the desk's agents see every event and file
    shares_attachments: bool  # the request's company shares its people's files


def _event_rows_build(shape: _PageRowsShape, values: Mapping[str, Any]) -> QuerySet[Event]:
    events = Event.objects.filter(ticket_id=values["ticket_id"]).select_related("actor", "comment")
    return events if shape.is_support else events.filter(is_public=True)


def _attachment_rows_build(
    shape: _PageRowsShape, values: Mapping[str, Any]
) -> QuerySet[Attachment]:
    files = Attachment.objects.filter(ticket_id=values["ticket_id"])
    if shape.is_support:
        return files
    visible = Q(is_internal=False) & (
        Q(uploaded_by_id=values["user_id"])
        | Q(uploaded_by__is_agent=True)
        | Q(uploaded_by__isnull=True)
    )
    if shape.shares_attachments:
        visible |= Q(is_internal=False, uploaded_by__organization_id=values["organization_id"])
    return files.filter(visible)


def _participant_rows_build(
    shape: _PageRowsShape, values: Mapping[str, Any]
) -> QuerySet[Participant]:
    return Participant.objects.filter(ticket_id=values["ticket_id"]).select_related("user")


# Compiled once per process for each shape (core/statements.py; docs/performance.md, "Seventh
# round"): the request page and the ticket page read these for every request.
_EVENT_ROWS = KeptStatement(_event_rows_build)
_ATTACHMENT_ROWS = KeptStatement(_attachment_rows_build)
_PARTICIPANT_ROWS = KeptStatement(_participant_rows_build)


def _page_rows_shape(user: User, ticket: Ticket) -> _PageRowsShape:
    organization = ticket.organization if ticket.organization_id else None
    return _PageRowsShape(
        is_support=is_support_for(user, ticket),
        shares_attachments=organization is not None and organization.shares_attachments,
    )


def _of_ticket(rows: list[R], ticket: Ticket) -> list[R]:
    """Each row with its request set, as ``ticket.<related>`` would have set it."""
    for row in rows:
        row.ticket = ticket
    return rows


def _none_known(ticket: Ticket, flag: str) -> bool:
    """Whether the request's own statement found it has no such rows (``has_attachments``,
    ``has_participants``: the customer's request page, ``_request_page_build``)."""
    return getattr(ticket, flag, None) is False


def event_rows_for_user(user: User, ticket: Ticket) -> list[Event]:
    """``event_list_for_user``'s rows (newest first) for a page: the same statement, compiled
    once per process."""
    shape = _page_rows_shape(user, ticket)
    return _of_ticket(_EVENT_ROWS.rows(shape, {"ticket_id": ticket.pk}), ticket)


def attachment_rows_for_user(user: User, ticket: Ticket) -> list[Attachment]:
    """``attachment_queryset_for_user``'s rows for a page, without their uploaders (neither
    page names them): the same conditions, compiled once per process."""
    if _none_known(ticket, "has_attachments"):
        return []
    shape = _page_rows_shape(user, ticket)
    values: dict[str, Any] = {"ticket_id": ticket.pk, "user_id": user.pk}
    if shape.shares_attachments:
        values["organization_id"] = ticket.organization_id
    return _of_ticket(_ATTACHMENT_ROWS.rows(shape, values), ticket)


def participant_rows(ticket: Ticket) -> list[Participant]:
    """The request's participants with their users, compiled once per process."""
    if _none_known(ticket, "has_participants"):
        return []
    shape = _PageRowsShape(is_support=False, shares_attachments=False)
    return _of_ticket(_PARTICIPANT_ROWS.rows(shape, {"ticket_id": ticket.pk}), ticket)


def quote_list_for_events(ticket: Ticket, events: Sequence[Event]) -> list[Quote]:
    """The request's quotes, newest first, read only when its timeline names one: every quote
    is proposed by ``quote_propose``, which writes a public ``quote_proposed`` event with it
    (the administration shows quotes read-only), so a request whose events (all of them, or
    the public ones) name none has none, and its page costs no query for them
    (docs/performance.md, "Sixth round")."""
    if not any(event.kind == EventKind.QUOTE_PROPOSED for event in events):
        return []
    return list(ticket.quotes.all())


def ticket_queryset_awaiting_reply(user: User) -> QuerySet[Ticket]:
    """What waits for this customer (docs/requirements.md#request-life, R13): requests waiting for
    the customer where they are the requester or a participant, and their own requests with a
    quote awaiting their answer (only the requester answers quotes)."""
    mine = Q(requester=user)
    quote_waiting = Exists(Quote.objects.filter(ticket=OuterRef("pk"), state=QuoteState.PROPOSED))
    # (waiting AND (mine OR shared)) OR (mine AND quote), written as (mine OR shared) AND
    # (waiting OR (mine AND quote)): the first part reads the user's rows through indexes.
    # A customer's own and shared requests are always among those they may see: their
    # visibility (own, shared, the company's) is not written again around them (its
    # conditions cost more to build than the statement costs to run: docs/performance.md,
    # "Sixth round").
    tickets = Ticket.objects.all() if _is_customer(user) else ticket_queryset_for_user(user)
    return tickets.filter(
        _own(user) & (Q(status=Status.WAITING_FOR_CUSTOMER) | (mine & quote_waiting))
    )


def colleague_queryset(user: User) -> QuerySet[User]:
    """Active customers of the same company: the people a request can be shared with (not the
    company's shared log-in account, which is nobody in particular)."""
    if user.organization_id is None:
        return User.objects.none()
    return User.objects.filter(
        organization_id=user.organization_id,
        is_active=True,
        is_agent=False,
        is_superuser=False,
        is_company_account=False,
    ).exclude(pk=user.pk)


def ticket_changes_since(user: User, ticket: Ticket, *, after_event_id: int) -> QuerySet[Event]:
    """What others did on the ticket after the event the user last saw, oldest first (the
    workspace's collision warning). Only events this user may see; their own are left out."""
    return (
        event_list_for_user(user, ticket)
        .filter(pk__gt=after_event_id)
        .exclude(actor=user)
        .order_by("created_at", "pk")
    )
