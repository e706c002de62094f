"""Inbound e-mail, step one: store the raw bytes before anything parses them.

The three ways in (the SMTP listener, IMAP polling, a message piped on standard input) all call
``inbound_store``; turning stored messages into requests and comments is a separate step that
reads the rows (see the inbound e-mail issue). Storing is idempotent on the message's bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from supportal.core.inserts import insert_waking_workers
from supportal.desks.models import Desk
from supportal.mail.inbound.rows import served_desks
from supportal.mail.models import InboundChannel, InboundMessage

# Only the header block is searched, and only bytes: no decoding can fail before storing. An id
# with a control character (a NUL, which PostgreSQL's text refuses) is no id.
_MESSAGE_ID = re.compile(
    rb"^message-id:[ \t]*(<[^>\x00-\x1f\x7f]{1,900}>)", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    is_new: bool


def _header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            return raw[:end]
    return raw


def message_id_peek(raw: bytes) -> str:
    """The Message-ID header, read from raw bytes without parsing the message ("" if none)."""
    found = _MESSAGE_ID.search(_header_block(raw))
    return found.group(1).decode("ascii", "replace") if found else ""


def inbound_store(
    raw: bytes,
    *,
    channel: InboundChannel,
    envelope_from: str = "",
    recipients: Sequence[str] = (),
    mailbox: str = "",
    peer_ip: str | None = None,
    helo: str = "",
    now: datetime | None = None,
) -> Stored:
    """Save a received message's bytes, once. Side effect: one InboundMessage row (or none when
    the same bytes were stored before — a redelivery), due for processing at once."""
    now = now or timezone.now()
    digest = hashlib.sha256(raw).hexdigest()
    message = InboundMessage(
        raw=raw,
        sha256=digest,
        size=len(raw),
        message_id=message_id_peek(raw),
        channel=channel,
        # What an SMTP client said: stored as said, but for NULs, which no text column holds.
        envelope_from=_text(envelope_from, 998),
        recipients=[_text(recipient, 998) for recipient in recipients],
        mailbox=mailbox,
        peer_ip=peer_ip or None,
        helo=_text(helo, 255),
        received_at=now,
        next_attempt_at=now,
    )
    try:
        # Inserted at once: a redelivery, which is rare, is told by the unique SHA-256 (one
        # statement fewer for every new message; docs/performance.md, "Seventh round").
        if connection.vendor == "postgresql":
            _insert_waking_workers(message)
        else:
            with transaction.atomic():
                message.save(force_insert=True)
    except IntegrityError:
        # These bytes were stored before (a redelivery, or two SMTP sessions at once).
        return Stored(InboundMessage.objects.get(sha256=digest), is_new=False)
    return Stored(message, is_new=True)


def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "")[:limit]


def _insert_waking_workers(message: InboundMessage) -> None:
    """PostgreSQL: the row and the workers' wake-up (``core.jobs.wake_workers``, which the
    ORM's save sends from its ``post_save``) in one statement, autocommitted: no BEGIN, NOTIFY
    and COMMIT of their own (docs/performance.md, "Ninth round: the e-mail intake"). Its commit
    waits for the disk: a stored message is on disk before SMTP answers "250". In a caller's
    transaction, a savepoint keeps a redelivery's unique violation from breaking it."""
    in_transaction = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with in_transaction:
        insert_waking_workers(message, connection=connection)


# While one message is decided, the desks' addresses are read once (served_desks_once); the
# recipients, the sender and every To/Cc address are then checked against the same list.
_desks_in_hand: ContextVar[list[list[Desk]] | None] = ContextVar("served_desks", default=None)


def _served_desks() -> Iterable[Desk]:
    held = _desks_in_hand.get()
    if held is None:
        return served_desks()
    if not held:
        held.append(served_desks())
    return held[0]


@contextmanager
def served_desks_once() -> Iterator[None]:
    """Within this block, ``served_address`` reads the desks at most once (one query for a
    message's recipients, sender and copied addresses, instead of one each)."""
    token = _desks_in_hand.set([])
    try:
        yield
    finally:
        _desks_in_hand.reset(token)


def served_address(address: str) -> Desk | None:
    """The desk whose mailbox receives ``address``: its own address, or a plus-address on it
    (``support+token@host``, the reply addresses of our notifications). None: not ours."""
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return None
    base_local = local.split("+", 1)[0]
    for desk in _served_desks():
        desk_local, _at, desk_domain = desk.email_address.lower().rpartition("@")
        if desk_domain == domain and desk_local == base_local:
            return desk
    return None
