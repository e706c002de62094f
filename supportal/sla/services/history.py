"""A request's events recorded on its clocks together: an imported history (docs/import.md).

:func:`sla_events_record` gives the clocks what :func:`sla_event_record` gives them for each
event in turn, with the request's clocks read once, moved in memory event after event, derived
once and written in one statement per table. An imported request brings dozens of events at
once; recording them one by one read and wrote its clocks at every status change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from supportal.sla.models import Clock, ClockEntry, ClockState, EntryKind, Goal
from supportal.sla.services.calendars import CalendarBook
from supportal.sla.services.clocks import (
    _CLOCK_FIELDS,
    _clock_derive,
    _desk_rules,
    _DeskRules,
    _lead_for,
)
from supportal.sla.services.policies import POLICY_FIELDS
from supportal.sla.services.recording import (
    _clocks_of,
    _moves_on_assignment,
    _moves_on_status,
    _reply_clock_new,
    _start_clocks_new,
    sla_event_record,
)
from supportal.tickets.events import Assigned, Created, FieldChanged, StatusChanged
from supportal.tickets.models import Event
from supportal.tickets.workflow import Status


def _runs(events: Sequence[Event]) -> Iterator[list[Event]]:
    """The events in runs of one request each, in their order."""
    run: list[Event] = []
    for event in events:
        if run and run[-1].ticket_id != event.ticket_id:
            yield run
            run = []
        run.append(event)
    if run:
        yield run


def _is_retargeting(event: Event) -> bool:
    payload = event.payload
    return isinstance(payload, FieldChanged) and payload.field in POLICY_FIELDS


def sla_events_record(events: Sequence[Event]) -> None:
    """Apply the events, in order, to their requests' clocks, in the caller's transaction: the
    same entries and stored fields as :func:`sla_event_record` for each in turn. A request
    whose events change the policy's fields is recorded event by event (the policy is chosen
    again at each). Side effects: Clock and ClockEntry rows, as sla_event_record's."""
    for run in _runs(events):
        if any(_is_retargeting(event) for event in run):
            for event in run:
                sla_event_record(event)
        else:
            _Replay(run).record()


def _state_apply(clock: Clock, entry: ClockEntry) -> None:
    """The clock's state after ``entry``, as deriving it would set it (the moves read it)."""
    if entry.kind in (EntryKind.START, EntryKind.RESUME):
        clock.state, clock.pause_reason = ClockState.RUNNING, ""
    elif entry.kind == EntryKind.PAUSE:
        clock.state, clock.pause_reason = ClockState.PAUSED, entry.reason
    elif entry.kind == EntryKind.STOP:
        clock.state, clock.pause_reason = entry.data.get("outcome", ClockState.MET), ""


@dataclass
class _Replay:
    """One request's events replayed on its clocks in memory, then written."""

    events: list[Event]
    clocks: list[Clock] = field(default_factory=list)
    new: dict[int, list[ClockEntry]] = field(default_factory=dict)  # id(clock) → entries
    touched_at: dict[int, dt.datetime] = field(default_factory=dict)
    _rules: _DeskRules | None = None

    @property
    def rules(self) -> _DeskRules:
        if self._rules is None:
            self._rules = _desk_rules(self.events[0].ticket.desk_id)
        return self._rules

    def record(self) -> None:
        events = self.events
        if isinstance(events[0].payload, Created):
            for clock, entry in _start_clocks_new(events[0]):
                self.clocks.append(clock)
                self._add(clock, entry)
            events = events[1:]
        elif any(self._moves_clocks(event) for event in events):
            self.clocks = _clocks_of(events[0].ticket)
        if not self.clocks:
            return  # nothing moves, or a request older than the SLA engine
        for event in events:
            self._apply(event)
        self._write()

    @staticmethod
    def _moves_clocks(event: Event) -> bool:
        payload = event.payload
        if isinstance(payload, Assigned):
            return bool(payload.assignee_id)
        return isinstance(payload, StatusChanged)

    def _add(self, clock: Clock, entry: ClockEntry) -> None:
        self.new.setdefault(id(clock), []).append(entry)
        self.touched_at[id(clock)] = entry.at
        _state_apply(clock, entry)

    def _apply(self, event: Event) -> None:
        payload = event.payload
        if not self._moves_clocks(event):
            return
        # As _clocks_of reads them before each event: a stopped reply clock is done with.
        clocks = [c for c in self.clocks if not (c.goal == Goal.CUSTOMER_REPLY and c.is_stopped)]
        if isinstance(payload, StatusChanged):
            moves = _moves_on_status(clocks, event, payload)
        else:
            moves = _moves_on_assignment(clocks)
        for move in moves:
            entry = ClockEntry(
                clock=move.clock,
                kind=move.kind,
                reason=move.reason,
                event=event,
                data=move.data,
                at=event.created_at,
            )
            self._add(move.clock, entry)
        is_waiting = getattr(payload, "to_status", None) == Status.WAITING_FOR_CUSTOMER
        if is_waiting and self.rules.reply_duration:
            clock, entry = _reply_clock_new(event.ticket, self.rules, event)
            self.clocks.append(clock)
            self._add(clock, entry)

    def _write(self) -> None:
        calendars = CalendarBook()
        created: list[Clock] = []
        updated: list[Clock] = []
        entries: list[ClockEntry] = []
        for clock in self.clocks:
            new = self.new.get(id(clock))
            if not new:
                continue
            known = list(clock.entries.all()) if clock.pk else []
            _clock_derive(
                clock,
                [*known, *new],
                calendars,
                lead_duration=_lead_for(clock, self.rules),
                at=self.touched_at[id(clock)],
            )
            (updated if clock.pk else created).append(clock)
        Clock.objects.bulk_create(created)
        for clock in self.clocks:
            for entry in self.new.get(id(clock), ()):
                entry.clock = clock  # its id, now that a new clock has one
                entries.append(entry)
        ClockEntry.objects.bulk_create(entries)
        if updated:
            Clock.objects.bulk_update(updated, _CLOCK_FIELDS)
