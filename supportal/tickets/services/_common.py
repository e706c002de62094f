"""What every ticket service shares: the clock, the row lock, roles, the event writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.core.inserts import saved, values_of
from supportal.core.statements import KeptStatement
from supportal.tickets import events
from supportal.tickets.events import Payload
from supportal.tickets.models import (
    Comment,
    Event,
    Ticket,
)
from supportal.tickets.selectors import (
    ticket_roles,
)
from supportal.tickets.workflow import Role


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


_origin: ContextVar[str] = ContextVar("event_origin", default="")


@contextmanager
def events_origin(origin: str) -> Iterator[None]:
    """Within this block every event written carries ``origin`` (e.g. ``mail:12``, one inbound
    e-mail): the timeline shows events of one origin as one entry. No side effects."""
    token = _origin.set(origin[:40])
    try:
        yield
    finally:
        _origin.reset(token)


def _event(
    ticket: Ticket,
    payload: Payload,
    *,
    actor: User | None,
    at: dt.datetime,
    comment: Comment | None = None,
    is_public: bool = True,
) -> Event:
    """Write the event with its payload and tell the listeners, in this transaction (inside
    ``events_deferred``: when the block ends)."""
    event = Event(
        ticket=ticket,
        kind=payload.kind,
        actor=actor,
        comment=comment,
        is_public=is_public,
        data=payload.to_data(),
        created_at=at,
        origin=_origin.get(),
    )
    event.payload = payload
    held = _deferred.get()
    if held is not None:
        held.append(event)
    else:
        _event_insert(event)
        events.listeners.notify(event)
    return event


def _event_insert(event: Event) -> None:
    """Write one event. On PostgreSQL an INSERT built by ``values_of`` (its columns and
    placeholders kept per process), not compiled by the ORM on every action
    (docs/performance.md, "Seventh round"); no ``pre_save``/``post_save`` signal, as with
    ``bulk_create``, which ``events_deferred`` already uses (nothing listens to Event's)."""
    using = router.db_for_write(Event)
    db = connections[using]
    if db.vendor != "postgresql":
        event.save(force_insert=True)
        return
    columns, row, params = values_of(Event, [event], connection=db)
    with db.cursor() as cursor:
        # The table and columns are the model's, never input.
        cursor.execute(
            f"INSERT INTO {Event._meta.db_table} ({', '.join(columns)}) VALUES {row}"  # noqa: S608
            " RETURNING id",
            params,
        )
        (pk,) = cursor.fetchone()
    saved(event, pk, using=using)


_deferred: ContextVar[list[Event] | None] = ContextVar("events_deferred", default=None)


@contextmanager
def events_deferred() -> Iterator[None]:
    """Within this block the events are written in one statement when it ends, and told to
    their listeners together, in order and in the same transaction (``notify_many``: the SLA
    clocks of a request are read and written once, not at each event). For writing a history
    at once (an import, docs/import.md): nothing inside the block may read the events or what
    the listeners derive from them. When the block fails, nothing is written or told (its
    transaction rolls back). Nested blocks write at the outermost's end."""
    if _deferred.get() is not None:
        yield
        return
    held: list[Event] = []
    token = _deferred.set(held)
    try:
        yield
    finally:
        _deferred.reset(token)
    Event.objects.bulk_create(held)  # their ids, in order (the timeline's order at one instant)
    events.listeners.notify_many(held)


def _lock(ticket: Ticket, now: dt.datetime | None) -> tuple[Ticket, dt.datetime]:
    """Re-read the ticket under a row lock — two agents acting at once are applied in turn — and
    take the action's time once the lock is held: a change that waited for another gets a later
    time, so the timeline's order (by time) is the order in which the changes were committed
    (docs/security.md, "Concurrency"). A given ``now`` stays. The one way a service gets both,
    so none can take its time before the lock."""
    # Compiled once per process (every comment, transition and inbound answer takes this
    # lock; docs/performance.md, "Eighth round").
    found = _LOCKED.rows(None, {"pk": ticket.pk})
    if not found:
        raise Ticket.DoesNotExist(f"Ticket {ticket.pk} does not exist.")
    return found[0], _now(now)


def _locked_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Ticket]:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("desk", "requester", "organization")
        .filter(pk=values["pk"])
    )


_LOCKED: KeptStatement[None, Ticket] = KeptStatement(_locked_build)


def _roles_of(actor: User | None, ticket: Ticket) -> frozenset[Role]:
    """The actor's workflow roles; to someone who may not see the ticket it does not exist."""
    roles = ticket_roles(actor, ticket)
    if not roles:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": ticket.reference})
    return roles


def _touch(ticket: Ticket, at: dt.datetime, *fields: str) -> None:
    ticket.updated_at = at
    ticket.save(update_fields=[*fields, "updated_at"])


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            ngettext(
                "%(label)s is limited to %(limit)d character; it has %(count)d.",
                "%(label)s is limited to %(limit)d characters; it has %(count)d.",
                max_length,
            )
            % {"label": label, "limit": max_length, "count": len(value)},
            field=field,
        )
    return value


def _require_support(actor: User, ticket: Ticket) -> frozenset[Role]:
    roles = _roles_of(actor, ticket)
    if not {Role.AGENT, Role.TEAM_LEAD} & roles:
        raise PermissionRefused(_("Only the desk's agents can do this."))
    return roles


def _text_changed(ticket: Ticket, *, is_new: bool = False, comment: Comment | None = None) -> None:
    """Tell the text listeners (the search index) that the ticket's text changed, in this
    transaction, so the index commits or rolls back with the change: ``is_new`` for a ticket
    just created, ``comment`` when one new comment is the whole change."""
    events.text_listeners.notify(events.TextChanged(ticket=ticket, is_new=is_new, comment=comment))
