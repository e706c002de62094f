"""Recording, inside the ticket service's transaction, that an action may have to be told."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportal.core.inserts import saved, values_of, waking_insert_sql
from supportal.core.jobs import WAKING_WORKERS
from supportal.core.quiet import is_quiet
from supportal.core.statements import KeptStatement
from supportal.notifications.models import (
    PendingNotification,
    PendingSlaNotification,
    PendingState,
    TicketReplyAddress,
)
from supportal.notifications.services.addresses import _reply_token_new
from supportal.tickets.models import Event, EventKind

# Only these kinds can lead to a mail; attachments travel with their comment.
RECORDED_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.STATUS_CHANGED,
        EventKind.COMMENTED,
        EventKind.ASSIGNED,
        EventKind.PARTICIPANT_ADDED,
        EventKind.QUOTE_PROPOSED,
        EventKind.FEEDBACK_GIVEN,
    }
)


def notification_event_record(event: Event) -> PendingNotification | None:
    """Remember that ``event`` may have to be told, as part of its action.

    Call it right after the Event row is written, in the same transaction. Side effects:
    creates or extends the action's PendingNotification (due now); on CREATED also gives the
    ticket its reply address. Events that never lead to mail are ignored, and so is
    everything an import writes (``core.quiet``: its requests get their reply address only).
    """
    if event.kind not in RECORDED_KINDS:
        return None
    if is_quiet():
        if event.kind == EventKind.CREATED:
            TicketReplyAddress.objects.create(ticket_id=event.ticket_id, token=_reply_token_new())
        return None
    if event.kind == EventKind.CREATED:
        return _created_record(event)
    values = {"ticket": event.ticket_id, "at": event.created_at}
    if event.actor_id is not None:
        values["actor"] = event.actor_id
    using = router.db_for_write(PendingNotification)
    # No savepoint: a failure here fails the ticket service's action, whose own transaction
    # (or savepoint) rolls it back whole (core/listeners.py); two statements fewer per event.
    with transaction.atomic(savepoint=False):
        if connections[using].vendor == "postgresql":
            return _action_join_at_once(event, values, using=using)
        found = _SAME_ACTION.rows(event.actor_id is not None, values)
        row = found[0] if found else None
        if row is None:
            pending = _pending_of(event)
            pending.save(force_insert=True, using=using)
            return pending
        row.event_ids = [*row.event_ids, event.pk]
        fields = ["event_ids"]
        if row.actor_id is None and event.actor_id is not None:
            row.actor_id = event.actor_id
            fields.append("actor")
        row.save(update_fields=fields)
        return row


def _pending_of(event: Event) -> PendingNotification:
    """A new action's pending notification, with ``event`` its first (not saved)."""
    return PendingNotification(
        ticket_id=event.ticket_id,
        actor_id=event.actor_id,
        occurred_at=event.created_at,
        event_ids=[event.pk],
        next_attempt_at=timezone.now(),
    )


def _same_action_build(has_actor: bool, values: Mapping[str, Any]) -> QuerySet[PendingNotification]:
    """The action's pending notification, locked, as one statement compiled once per process
    (``core.statements``; every comment and status change asks, docs/performance.md, "Ninth
    round: the write paths of a request")."""
    # Rows still unclaimed only: a row a worker already holds is not changed under it.
    # The lock keeps a worker from claiming the row between this read and our commit.
    same_action = PendingNotification.objects.select_for_update().filter(
        ticket_id=values["ticket"],
        occurred_at=values["at"],
        state=PendingState.PENDING,
        claim_token="",
    )
    if has_actor:
        # A system step in the same transaction (auto-close right after resolving)
        # joins the person's action (docs/requirements.md#notifications, N7).
        same_action = same_action.filter(Q(actor_id=values["actor"]) | Q(actor__isnull=True))
    return same_action.order_by("pk")[:1]


_SAME_ACTION: KeptStatement[bool, PendingNotification] = KeptStatement(_same_action_build)


def _action_join_at_once(
    event: Event, values: Mapping[str, Any], *, using: str
) -> PendingNotification:
    """PostgreSQL: what :func:`notification_event_record` does in two statements (the action's
    pending row looked up and locked, then extended or inserted with the workers' wake-up),
    in one data-modifying ``WITH``: the same lookup (``_SAME_ACTION``, locked), the event
    appended to the row found and its actor set when it had none, else a new row with the
    ``pg_notify`` of ``core.jobs`` (docs/performance.md, "Tenth round: the e-mail intake").
    The row returned has its key, actor and events."""
    db = connections[using]
    found_sql, found_params = _SAME_ACTION.sql(event.actor_id is not None, values, using=using)
    pending = _pending_of(event)
    insert_sql, params = waking_insert_sql(pending, connection=db)
    table = db.ops.quote_name(PendingNotification._meta.db_table)
    sql = (
        # The table and columns are the model's, the lookup the ORM's: no input.
        f"WITH found AS ({found_sql}),"  # noqa: S608
        f" changed AS (UPDATE {table} AS p SET event_ids = p.event_ids || to_jsonb(%s::bigint),"
        " actor_id = COALESCE(p.actor_id, %s::bigint) FROM found WHERE p.id = found.id"
        " RETURNING p.id, p.actor_id, p.event_ids::text),"
        f" added AS ({insert_sql} WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)"
        " SELECT id, actor_id, event_ids FROM changed UNION ALL SELECT id, NULL, NULL FROM added"
    )
    with db.cursor() as cursor:
        found_values: list[Any] = list(found_params)
        cursor.execute(sql, [*found_values, event.pk, event.actor_id, *params])
        pk, actor_id, event_ids = cursor.fetchone()
    if event_ids is not None:  # the action's row, extended
        pending.actor_id, pending.event_ids = actor_id, json.loads(event_ids)
    saved(pending, pk, using=using)
    return pending


def _created_record(event: Event) -> PendingNotification:
    """A request's first event: the request is new in this transaction, so nothing can hold
    its reply address or a notification of it yet (no other transaction sees the row): both
    are inserted without looking first (two statements, no savepoint; on PostgreSQL one, with
    the workers' wake-up)."""
    address = TicketReplyAddress(ticket_id=event.ticket_id, token=_reply_token_new())
    pending = _pending_of(event)
    using = router.db_for_write(PendingNotification)
    if connections[using].vendor == "postgresql":
        _created_record_at_once(address, pending, using=using)
        return pending
    with transaction.atomic(savepoint=False):
        address.save(force_insert=True)
        pending.save(force_insert=True)
    return pending


def _created_record_at_once(
    address: TicketReplyAddress, pending: PendingNotification, *, using: str
) -> None:
    """Both rows in one statement (PostgreSQL's data-modifying WITH), with the NOTIFY that
    ``core.jobs`` sends for a new row of due work (``pg_notify``: delivered on commit, like
    it); no ``post_save`` signal is sent, so that wake-up is this statement's."""
    db = connections[using]
    address_columns, address_row, params = values_of(TicketReplyAddress, [address], connection=db)
    pending_columns, pending_row, pending_params = values_of(
        PendingNotification, [pending], connection=db
    )
    sql = (
        f"WITH a AS (INSERT INTO {TicketReplyAddress._meta.db_table}"  # noqa: S608
        f" ({', '.join(address_columns)}) VALUES {address_row} RETURNING id),"
        f" p AS (INSERT INTO {PendingNotification._meta.db_table}"
        f" ({', '.join(pending_columns)}) VALUES {pending_row} RETURNING id)"
        f" SELECT a.id, p.id FROM a, p, {WAKING_WORKERS}"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, *pending_params])
        address_id, pending_id = cursor.fetchone()
    saved(address, address_id, using=using)
    saved(pending, pending_id, using=using)


def notification_sla_event_record(sla_event: Any) -> PendingSlaNotification | None:
    """Remember that an SLA event must be mailed. Call it where the SlaEvent row is written,
    in the same transaction (the sweeper does). Side effect: one PendingSlaNotification, due
    now; its one-to-one with the event makes each SlaEvent mailed once. None inside an
    import (``core.quiet``): its breaches are history."""
    if is_quiet():
        return None
    return PendingSlaNotification.objects.create(
        sla_event=sla_event, next_attempt_at=timezone.now()
    )


def notification_sla_events_record(sla_events: Sequence[Any]) -> list[PendingSlaNotification]:
    """:func:`notification_sla_event_record` for many SLA events, in one statement (the
    sweeper records its due batch this way)."""
    if is_quiet():
        return []
    now = timezone.now()
    return PendingSlaNotification.objects.bulk_create(
        [PendingSlaNotification(sla_event=event, next_attempt_at=now) for event in sla_events]
    )
