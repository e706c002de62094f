"""The worker queues: claim due rows after commit, queue their mails, retry on failure."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportal.core.jobs import claim_due, claimed_in_turn, retry_delay
from supportal.notifications.models import (
    PendingNotification,
    PendingSlaNotification,
    PendingState,
)
from supportal.notifications.services.mailer import (
    LAST_ERROR_MAX_LENGTH,
    notification_mails_queue,
    sla_mails_queue,
)

logger = logging.getLogger("supportal.notifications")


BATCH_SIZE = 20


# Short, and renewed while a batch runs (core.jobs.claimed_in_turn): a killed worker's rows are
# handled by another within this (docs/security.md, "Workers").
CLAIM_LEASE_DURATION = timedelta(seconds=settings.SUPPORTAL_CLAIM_LEASE_SECONDS)


MAX_ATTEMPTS = 8


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
    for row in claimed_in_turn(rows, lease_duration=CLAIM_LEASE_DURATION):
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
    for row in claimed_in_turn(rows, lease_duration=CLAIM_LEASE_DURATION):
        _handle(row, now=now, queue_mails=sla_mails_queue)
    return len(rows)
