"""Claiming a stored message and recording its outcome (the module docstring of the package
tells the order of decisions)."""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from supportal.core.jobs import claim_due, claimed_in_turn
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


# --- Claiming and recording -----------------------------------------------------------------


def _claim_one(pk: int, *, states: tuple[str, ...], now: datetime) -> InboundMessage | None:
    token = uuid.uuid4().hex
    claimed = (
        InboundMessage.objects.filter(pk=pk, state__in=states)
        .filter(Q(claim_token="") | Q(next_attempt_at__lte=now))
        .update(
            state=InboundState.RECEIVED,
            claim_token=token,
            attempts=F("attempts") + 1,
            next_attempt_at=now + CLAIM_LEASE_DURATION,
        )
    )
    return InboundMessage.objects.get(pk=pk) if claimed else None


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
    return InboundMessage.objects.get(pk=pk)


def inbound_process_due(now: datetime) -> int:
    """The worker queue ``mail.inbound``: claim up to BATCH_SIZE stored messages and process
    them. Returns how many were handled."""
    messages = claim_due(
        InboundMessage.objects.filter(state=InboundState.RECEIVED),
        now=now,
        limit=BATCH_SIZE,
        lease_duration=CLAIM_LEASE_DURATION,
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
    causes are committed together; an exception rolls them back and leaves the row FAILED with
    the error. Returns the outcome, or None when the row failed or our claim was lost."""
    now = now or timezone.now()
    token = message.claim_token
    try:
        # DNS lookups happen before the transaction, which holds no lock while they wait.
        verdict = _verdict(message)
        with (
            transaction.atomic(),
            translation.override(settings.LANGUAGE_CODE),
            served_desks_once(),
            # Everything this mail changes is one entry on the request's timeline.
            events_origin(f"mail:{message.pk}"),
        ):
            outcome = decide(message, now=now, decision=decision, verdict=verdict)
            updated = InboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
                state=outcome.state,
                outcome=outcome.as_json(),
                ticket=outcome.ticket,
                comment=outcome.comment,
                marked_unverified=outcome.marked_unverified,
                processed_at=now,
                last_error="",
                claim_token="",
            )
            if not updated:
                raise LeaseLost
    except LeaseLost:
        return None
    except Exception:
        error = traceback.format_exc()[-LAST_ERROR_MAX_LENGTH:]
        logger.exception("inbound message #%s failed", message.pk)
        InboundMessage.objects.filter(pk=message.pk, claim_token=token).update(
            state=InboundState.FAILED, last_error=error, claim_token=""
        )
        return None
    return outcome


def _verdict(message: InboundMessage) -> Verdict:
    """The stored verdict, or a new check (also again when the DNS failed last time)."""
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
    InboundMessage.objects.filter(pk=message.pk).update(
        authentication=message.authentication, sender_verified=message.sender_verified
    )
    return verdict


def inbound_discard(message: InboundMessage, *, reason: str) -> None:
    """An agent's "discard" for a quarantined or failed message: kept, marked ignored."""
    InboundMessage.objects.filter(pk=message.pk).update(
        state=InboundState.IGNORED,
        outcome={**(message.outcome or {}), "result": "ignored", "reason": reason},
        claim_token="",
    )
