"""The intake's reads of one message, each compiled once per process.

Every message asks the same few questions (the first copy of its Message-ID, whether it is
one of ours, the desks that receive mail, the sender's account, the request its subject
names); building and compiling those querysets anew was a third of the intake's CPU per
message (docs/performance.md, "Eighth round"). They are kept statements (``core.statements``):
the same SQL, the same rows, run with each message's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from supportal.accounts.models import User
from supportal.core.statements import KeptStatement
from supportal.desks.models import Desk
from supportal.mail.models import InboundMessage, OutboundEmail
from supportal.tickets.models import Ticket


def _first_copy_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return (
        InboundMessage.objects.filter(message_id=values["message_id"])
        .order_by("pk")
        .values_list("pk", flat=True)[:1]
    )


def _ours_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return (
        OutboundEmail.objects.filter(message_id=values["message_id"])
        .order_by()
        .values_list("message_id", flat=True)[:1]
    )


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


_FIRST_COPY: KeptStatement[None, Any] = KeptStatement(_first_copy_build)
_OURS: KeptStatement[None, Any] = KeptStatement(_ours_build)
_SERVED_DESKS: KeptStatement[None, Desk] = KeptStatement(_served_desks_build)
_USER: KeptStatement[bool, User] = KeptStatement(_user_build)
_SUBJECT_TICKET: KeptStatement[int, Ticket] = KeptStatement(_subject_tickets_build)


def first_copy_id(message_id: str) -> int | None:
    """The id of the first stored message with this Message-ID (None: none)."""
    found = _FIRST_COPY.rows(None, {"message_id": message_id})
    return found[0] if found else None


def is_our_message_id(message_id: str) -> bool:
    """Whether one of our own mails carries this Message-ID."""
    return bool(_OURS.rows(None, {"message_id": message_id}))


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
