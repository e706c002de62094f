"""The intake's reads of one message, each compiled once per process.

Every message asks the same few questions (the first copy of its Message-ID and whether it is
one of ours, asked together in one statement; the desks that receive mail; whether the desk
discards the sender; the sender's account; the request its subject names; how many requests
the sender opened by mail lately); building and compiling those querysets anew was a third of
the intake's CPU per message (docs/performance.md, "Eighth round"). They are kept statements
(``core.statements``): the same SQL, the same rows, run with each message's values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Count, QuerySet

from supportal.accounts.models import User
from supportal.core.statements import KeptStatement
from supportal.desks.models import Desk
from supportal.mail.models import DiscardedSender, InboundMessage, OutboundEmail
from supportal.tickets.models import SubmissionMethod, Ticket


def _served_desks_build(_shape: None, _values: Mapping[str, Any]) -> QuerySet[Desk]:
    return Desk.objects.filter(is_active=True).exclude(email_address="")


def _user_build(is_active_only: bool, values: Mapping[str, Any]) -> QuerySet[User]:
    users = User.objects.filter(email__iexact=values["address"])
    if is_active_only:
        users = users.filter(is_active=True)
    return users.order_by("pk")[:1]


def _subject_tickets_build(count: int, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    references = [values[f"r{n}"] for n in range(count)]
    return Ticket.objects.filter(reference__in=references).order_by("pk")[:1]


def _discarded_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return (
        DiscardedSender.objects.filter(desk_id=values["desk"], address=values["address"])
        .order_by()
        .values_list("pk", flat=True)[:1]
    )


def _opened_by_mail_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return (
        Ticket.objects.filter(
            requester_id=values["user"],
            submission_method=SubmissionMethod.EMAIL,
            created_at__gte=values["since"],
        )
        .order_by()
        .values("requester_id")
        .annotate(count=Count("pk"))
        .values_list("count", flat=True)
    )


_SERVED_DESKS: KeptStatement[None, Desk] = KeptStatement(_served_desks_build)
_USER: KeptStatement[bool, User] = KeptStatement(_user_build)
_SUBJECT_TICKET: KeptStatement[int, Ticket] = KeptStatement(_subject_tickets_build)
_DISCARDED: KeptStatement[None, Any] = KeptStatement(_discarded_build)
_OPENED_BY_MAIL: KeptStatement[None, Any] = KeptStatement(_opened_by_mail_build)


def served_desks() -> list[Desk]:
    """The active desks that have a mailbox."""
    return _SERVED_DESKS.rows(None, {})


def user_by_address(address: str, *, is_active_only: bool = False) -> User | None:
    """The account of this e-mail address, in any case (the first by id), as
    ``User.objects.filter(email__iexact=address).first()`` finds it."""
    # Prepared as the ORM prepares an iexact lookup's value (SQLite's LIKE escapes % and _).
    prepared = connections["default"].ops.prep_for_iexact_query(address)
    found = _USER.rows(is_active_only, {"address": prepared})
    return found[0] if found else None


def ticket_by_references(references: list[str]) -> Ticket | None:
    """The first request (by id) with one of these references."""
    if not references:
        return None
    found = _SUBJECT_TICKET.rows(
        len(references), {f"r{n}": reference for n, reference in enumerate(references)}
    )
    return found[0] if found else None


def is_discarded(desk: Desk, address: str) -> bool:
    """Whether an agent chose "always discard" for mail from ``address`` (lower-case) to
    ``desk``."""
    return bool(_DISCARDED.rows(None, {"desk": desk.pk, "address": address}))


def requests_opened_by_mail(user: User, *, since: datetime) -> int:
    """How many requests ``user`` opened by mail from ``since`` on."""
    found = _OPENED_BY_MAIL.rows(None, {"user": user.pk, "since": since})
    return found[0] if found else 0


def message_id_facts(stored_id: str, parsed_id: str) -> tuple[int | None, bool]:
    """``first_copy_id(stored_id)`` and ``is_our_message_id(parsed_id)`` in one statement (an
    empty id asks nothing: it is sent as NULL, which equals no row), one round trip fewer for
    every message (docs/performance.md, "Ninth round: the e-mail intake")."""
    connection = connections["default"]
    quote = connection.ops.quote_name
    inbound, outbound = InboundMessage._meta.db_table, OutboundEmail._meta.db_table
    # Our own tables' and columns' names: no input.
    sql = (
        f"SELECT (SELECT {quote('id')} FROM {quote(inbound)}"  # noqa: S608
        f" WHERE {quote('message_id')} = %s ORDER BY {quote('id')} LIMIT 1),"
        f" (SELECT 1 FROM {quote(outbound)} WHERE {quote('message_id')} = %s LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [stored_id or None, parsed_id or None])
        first, ours = cursor.fetchone()
    return first, ours is not None
