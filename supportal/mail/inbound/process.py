"""Claiming a stored message and recording its outcome (the module docstring of the package
tells the order of decisions)."""

from __future__ import annotations

import contextlib
import logging
import traceback
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from supportal.core.jobs import WITHOUT_WAITING_FOR_DISK, claim_due, claimed_in_turn
from supportal.core.wholly import wholly
from supportal.mail.inbound.auth import Verdict, sender_verify, verdict_from_json
from supportal.mail.inbound.decide import decide
from supportal.mail.inbound.outcome import Decision, LeaseLost, Outcome
from supportal.mail.inbound.store import served_desks_once
from supportal.mail.models import InboundMessage, InboundState
from supportal.tickets.services import events_origin

logger = logging.getLogger("supportal.mail.inbound")

BATCH_SIZE = 20
# Short, and renewed while a batch runs (core.jobs.claimed_in_turn): a killed worker's messages
# are processed by another within this (docs/security.md, "Workers").
CLAIM_LEASE_DURATION = timedelta(seconds=settings.SUPPORTAL_CLAIM_LEASE_SECONDS)
LAST_ERROR_MAX_LENGTH = 4000
# Claims are committed without waiting for the disk (docs/email.md, "Several workers"):
# processing writes nothing outside the database, so a crash of the machine that loses a claim
# loses what was processed under it too (the WAL is written in order), and the row is claimable
# again at once, as if no worker had claimed it. The stored bytes were committed durably
# before. One wait for the disk fewer per message (docs/performance.md, "Eighth round").


# --- Claiming and recording -----------------------------------------------------------------


def _claim_one(pk: int, *, states: tuple[str, ...], now: datetime) -> InboundMessage | None:
    """Claim the row ``pk`` if it is in one of ``states`` and unclaimed (or its lease passed):
    one ``UPDATE … RETURNING`` (PostgreSQL, SQLite 3.35+) that gives the claimed row, instead
    of an UPDATE and a SELECT (docs/performance.md, "Seventh round"). Its commit does not wait
    for the disk on PostgreSQL (see "Claims are committed" above)."""
    token = uuid.uuid4().hex
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(field.column) for field in InboundMessage._meta.concrete_fields if field.column
    )
    marks = ", ".join(["%s"] * len(states))
    lease_end, at = (
        connection.ops.adapt_datetimefield_value(instant)
        for instant in (now + CLAIM_LEASE_DURATION, now)
    )
    # Our own table's and columns' names, and one placeholder per state: no input.
    table = quote(InboundMessage._meta.db_table)
    sql = f"UPDATE {table} SET state = %s, claim_token = %s, attempts = attempts + 1,"  # noqa: S608
    sql += " next_attempt_at = %s"
    if connection.vendor == "postgresql":
        sql += WITHOUT_WAITING_FOR_DISK
    sql += (
        f" WHERE id = %s AND state IN ({marks}) AND (claim_token = '' OR next_attempt_at <= %s)"
        f" RETURNING {columns}"
    )
    claimed = InboundMessage.objects.raw(
        sql, [InboundState.RECEIVED, token, lease_end, pk, *states, at]
    )
    return next(iter(list(claimed)), None)


def inbound_process_one(
    pk: int,
    *,
    again: bool = False,
    decision: Decision | str = Decision.NONE,
    now: datetime | None = None,
) -> InboundMessage:
    """Process the stored message ``pk`` now, if it is waiting (or, with ``again``, also when
    it failed or was quarantined). ``decision`` is an agent's choice for a quarantined message:
    "attach" (to the request it names) or "new" (a new request). Returns the row as it ends.
    Side effects: those of processing (see the module docstring)."""
    now = now or timezone.now()
    decision = Decision(decision)  # ValueError for an unknown choice
    states: tuple[str, ...] = (InboundState.RECEIVED,)
    if again or decision:
        states += (InboundState.FAILED, InboundState.QUARANTINED)
    message = _claim_one(pk, states=states, now=now)
    if message is not None:
        inbound_process(message, now=now, decision=decision)
    if message is None or message.claim_token:  # not ours, or our claim was lost meanwhile
        return InboundMessage.objects.get(pk=pk)
    return message  # as it ends: inbound_process sets on it what it wrote


def inbound_process_due(now: datetime) -> int:
    """The worker queue ``mail.inbound``: claim up to BATCH_SIZE stored messages and process
    them. Returns how many were handled."""
    messages = claim_due(
        InboundMessage.objects.filter(state=InboundState.RECEIVED),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
        is_durable=False,  # see "Claims are committed" above
        kept_as="mail.inbound",
    )
    for message in claimed_in_turn(messages, lease_duration=CLAIM_LEASE_DURATION):
        inbound_process(message, now=now)
    return len(messages)


def inbound_process(
    message: InboundMessage,
    *,
    now: datetime | None = None,
    decision: Decision = Decision.NONE,
) -> Outcome | None:
    """Process one claimed message (its ``claim_token`` set). The outcome and every change it
    causes are committed together, with the sender's verification, in one transaction; an
    exception rolls them back and leaves the row FAILED with the error. What was written is
    also set on ``message`` (whose ``claim_token`` stays set only when the claim was lost).
    Returns the outcome, or None when the row failed or our claim was lost."""
    now = now or timezone.now()
    token = message.claim_token
    try:
        # DNS lookups happen before the transaction, which holds no lock while they wait.
        verdict = _verdict(message)
        # Taken whole: any error rolls the message back and leaves it FAILED, so the ticket
        # services inside take no savepoint of their own (``core.wholly``).
        with (
            wholly(),
            translation.override(settings.LANGUAGE_CODE),
            served_desks_once(),
            # Everything this mail changes is one entry on the request's timeline.
            events_origin(f"mail:{message.pk}"),
        ):
            outcome = decide(message, now=now, decision=decision, verdict=verdict)
            # Derived from the stored bytes, committed durably before: a crash of the machine
            # that loses this commit leaves the row to be claimed and processed again. The
            # outcome's UPDATE says so (``is_derived``), without a statement of its own.
            _record(
                message,
                token,
                is_derived=True,
                state=outcome.state,
                outcome=outcome.as_json(),
                ticket=outcome.ticket,
                comment=outcome.comment,
                marked_unverified=outcome.marked_unverified,
                processed_at=now,
                last_error="",
            )
    except LeaseLost:
        return None
    except Exception:
        error = traceback.format_exc()[-LAST_ERROR_MAX_LENGTH:]
        logger.exception("inbound message #%s failed", message.pk)
        with contextlib.suppress(LeaseLost):  # another worker's now: theirs to record
            _record(message, token, state=InboundState.FAILED, last_error=error)
        return None
    return outcome


def _record(
    message: InboundMessage, token: str, *, is_derived: bool = False, **values: object
) -> None:
    """Write ``values``, the verification and the end of the claim on the row if our claim
    still holds it (else LeaseLost), and set them on ``message``. One UPDATE of our own
    (the ORM's is built and compiled per message); ``is_derived`` (PostgreSQL): the commit of
    the transaction it is in does not wait for the disk (``core.jobs``)."""
    values.update(
        authentication=message.authentication,
        sender_verified=message.sender_verified,
        claim_token="",
    )
    meta, quote = InboundMessage._meta, connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        field: Any = meta.get_field(name)  # a concrete field of ours
        if field.is_relation:
            value = getattr(value, "pk", value)  # the request or comment written, or None
        columns.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection=connection))
    # Our own table's and columns' names: no input.
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(columns)}"  # noqa: S608
    if is_derived and connection.vendor == "postgresql":
        sql += WITHOUT_WAITING_FOR_DISK
    sql += f" WHERE {quote(meta.db_table)}.id = %s AND {quote(meta.db_table)}.claim_token = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, message.pk, token])
        if not cursor.rowcount:
            raise LeaseLost
    for name, value in values.items():
        setattr(message, name, value)


def _verdict(message: InboundMessage) -> Verdict:
    """The stored verdict, or a new check (also again when the DNS failed last time), set on
    ``message`` and written with the outcome."""
    stored = message.authentication or {}
    if message.sender_verified is not None and stored.get("dmarc") != "temperror":
        return verdict_from_json(stored)
    verdict = sender_verify(
        bytes(message.raw),
        peer_ip=message.peer_ip,
        envelope_from=message.envelope_from,
        helo=message.helo,
    )
    message.authentication, message.sender_verified = verdict.as_json(), verdict.verified
    return verdict


def inbound_discard(message: InboundMessage, *, reason: str) -> None:
    """An agent's "discard" for a quarantined or failed message: kept, marked ignored."""
    InboundMessage.objects.filter(pk=message.pk).update(
        state=InboundState.IGNORED,
        outcome={**(message.outcome or {}), "result": "ignored", "reason": reason},
        claim_token="",
    )
