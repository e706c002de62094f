"""Registering a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, connections, router
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.accounts.services import user_language_learn
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.core.inserts import saved, values_of
from supportal.core.wholly import service_atomic
from supportal.desks.choices import products_kept
from supportal.desks.models import (
    Desk,
    Priority,
    Product,
    RequestType,
)
from supportal.tickets.events import Created
from supportal.tickets.models import (
    DETAILS_MAX_LENGTH,
    SubmissionMethod,
    Ticket,
    priority_rank_of,
)
from supportal.tickets.selectors import priority_is_allowed
from supportal.tickets.services._common import _clean_text, _event, _now, _text_changed
from supportal.tickets.services.attachments import NewAttachment, _attachments_add
from supportal.tickets.services.fields import custom_fields_clean
from supportal.tickets.services.people import _participant_add


def _next_number(desk: Desk) -> int:
    # One UPDATE … RETURNING (PostgreSQL, SQLite 3.35+): it takes the desk row's write lock
    # until commit (PostgreSQL) or the database's (SQLite, BEGIN IMMEDIATE), so concurrent
    # creations queue here and each reads the number it wrote; a rolled-back creation rolls
    # its number back too, which keeps the sequence gapless.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE desks_desk SET last_ticket_number = last_ticket_number + 1"
            " WHERE id = %s RETURNING last_ticket_number",
            [desk.pk],
        )
        (number,) = cursor.fetchone()
    return number


def ticket_create(
    *,
    desk: Desk,
    requester: User,
    actor: User,
    summary: str,
    details: str = "",
    submission_method: SubmissionMethod = SubmissionMethod.PORTAL,
    product: Product | None = None,
    request_type: RequestType | None = None,
    priority: Priority | None = None,
    contact_phone: str = "",
    contact_email: str = "",
    participants: Sequence[User] = (),
    custom_fields: dict[str, object] | None = None,
    attachments: Sequence[NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """Register a request: a customer for themself, an agent for a customer (phone, e-mail).

    Side effects: a CREATED event (notifications read it), the search index, stored files.
    """
    at = _now(now)
    _creator_check(desk=desk, requester=requester, actor=actor, contact_email=contact_email)
    summary, details = _texts_clean(desk, summary=summary, details=details)
    _choices_check(desk, requester, actor, product, request_type, priority)
    cleaned_fields = custom_fields_clean(
        desk=desk, request_type=request_type, values=dict(custom_fields or {})
    )
    with service_atomic():
        ticket = Ticket(
            desk=desk,
            summary=summary,
            details=details,
            product=product,
            request_type=request_type,
            priority=priority,
            priority_rank=priority_rank_of(priority),
            requester=requester,
            organization_id=requester.organization_id,
            # The status is the model's default, Waiting for support: the gate writes the rest.
            submission_method=submission_method,
            contact_phone=contact_phone.strip(),
            contact_email=contact_email.strip().lower(),
            custom_fields=cleaned_fields,
            created_at=at,
            updated_at=at,
        )
        _numbered_insert(ticket)
        _event(
            ticket,
            Created(status=ticket.status, submission_method=submission_method),
            actor=actor,
            at=at,
        )
        _people_and_files_add(
            ticket, actor=actor, participants=participants, attachments=attachments, at=at
        )
        _text_changed(ticket, is_new=True)
    return ticket


def _numbered_insert(ticket: Ticket) -> None:
    """Give the request the desk's next number and save it (in the caller's transaction)."""
    using = router.db_for_write(Ticket)
    if connections[using].vendor == "postgresql":
        _numbered_insert_at_once(ticket, using=using)
        return
    number = _next_number(ticket.desk)
    ticket.number = number
    ticket.reference = f"{ticket.desk.key}-{number}"
    ticket.save(force_insert=True)


def _numbered_insert_at_once(ticket: Ticket, *, using: str) -> None:
    """The number taken and the request inserted in one statement (PostgreSQL's
    data-modifying WITH): the same UPDATE … RETURNING as :func:`_next_number`, with its lock
    and its gapless numbers. No signals, as ``bulk_create`` (the model has no receivers)."""
    db = connections[using]
    columns, row, params = values_of(
        Ticket, [ticket], connection=db, exclude={"number", "reference"}
    )
    sql = (
        # The table and columns are the model's, never input.
        "WITH n AS (UPDATE desks_desk SET last_ticket_number = last_ticket_number + 1"  # noqa: S608
        " WHERE id = %s RETURNING last_ticket_number AS number)"
        f" INSERT INTO {Ticket._meta.db_table} (number, reference, {', '.join(columns)})"
        f" SELECT n.number, %s || n.number, {row[1:-1]} FROM n RETURNING id, number"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [ticket.desk_id, f"{ticket.desk.key}-", *params])
        pk, number = cursor.fetchone()
    ticket.number = number
    ticket.reference = f"{ticket.desk.key}-{number}"
    saved(ticket, pk, using=using)


def _people_and_files_add(
    ticket: Ticket,
    *,
    actor: User,
    participants: Sequence[User],
    attachments: Sequence[NewAttachment],
    at: dt.datetime,
) -> None:
    """Who else follows the request, its files, and the requester's language from their text."""
    requester = ticket.requester
    for person in participants:
        if person.pk != requester.pk:
            _participant_add(ticket, person, actor=actor, at=at)
    _attachments_add(
        ticket,
        attachments,
        uploaded_by=actor,
        comment=None,
        is_internal=False,
        at=at,
    )
    if requester.is_customer and not requester.is_company_account:
        # What they wrote tells the language to write back in (docs/languages.md).
        user_language_learn(user=requester, text=f"{ticket.summary}\n{ticket.details}")


def _creator_check(*, desk: Desk, requester: User, actor: User, contact_email: str) -> None:
    """Who may open a request here, for whom, and whether the desk takes new ones."""
    is_agent_acting = actor.is_agent or actor.is_superuser
    if not is_agent_acting and actor.pk != requester.pk:
        raise PermissionRefused(_("Customers open requests only for themselves."))
    if (
        is_agent_acting
        and not actor.is_superuser
        and not desk.memberships.filter(user=actor).exists()
    ):
        raise PermissionRefused(_("You are not a member of the desk %(key)s.") % {"key": desk.key})
    if not desk.is_active:
        raise InvalidInput(_("This desk does not accept new requests."), field="desk")
    if requester.is_company_account and not contact_email.strip():
        raise InvalidInput(
            _("Requests from a company account must name a contact e-mail."),
            field="contact_email",
        )


def _texts_clean(desk: Desk, *, summary: str, details: str) -> tuple[str, str]:
    """The summary on one line within the desk's limit, and the details within theirs."""
    summary = _clean_text(
        summary,
        field="summary",
        label=_("Summary"),
        max_length=desk.summary_max_length,
        required=True,
    )
    if "\n" in summary or "\r" in summary:
        summary = " ".join(summary.split())
    details = _clean_text(
        details, field="details", label=_("Details"), max_length=DETAILS_MAX_LENGTH, required=False
    )
    return summary, details


def _choices_check(
    desk: Desk,
    requester: User,
    actor: User,
    product: Product | None,
    request_type: RequestType | None,
    priority: Priority | None,
) -> None:
    """The request type is the desk's; a customer files under the desk's products and the
    priorities their contract allows."""
    if request_type is not None and request_type.desk_id != desk.pk:
        raise InvalidInput(_("This request type belongs to another desk."), field="request_type")
    if actor.is_agent or actor.is_superuser:
        return
    if product is not None and product.pk not in {p.pk for p in products_kept(desk)}:
        raise InvalidInput(_("This product is not supported by this desk."), field="product")
    if priority is None:
        return
    if not priority_is_allowed(requester, product=product, priority=priority):
        raise InvalidInput(
            _("Your company's contract does not include the priority %(name)s.")
            % {"name": priority.name},
            field="priority",
        )
