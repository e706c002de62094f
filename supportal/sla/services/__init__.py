"""The only code that writes SLA clocks, their entries and SLA events.

Request events reach the engine through :func:`sla_event_record`, which ``tickets.services``
calls for every event inside the transaction that writes it: the clocks of a request change
together with the request. Each clock's stored fields (working time used, deadline, warning
time, next due instant) are derived from its entries by :func:`_clock_derive`, the one place
that reads them, so an administrator's change to a calendar or a policy recomputes open
requests exactly as the events computed them. The sweeper (:func:`sla_sweep_due`, a worker
queue in ``sweeper.py``) records warnings and breaches as ``SlaEvent`` rows, each once.
"""

from __future__ import annotations

from supportal.sla.services.calendars import CalendarBook, calendar_business, default_calendar
from supportal.sla.services.clocks import (
    STOPPED_STATES,
    clock_next_due,
    clock_used_duration,
    minutes_of,
)
from supportal.sla.services.history import sla_events_record
from supportal.sla.services.policies import POLICY_FIELDS, policy_for_ticket
from supportal.sla.services.recompute import (
    calendar_changed,
    calendar_date_remove,
    calendar_date_set,
    desk_settings_changed,
    policies_changed,
    tickets_backfill,
)
from supportal.sla.services.recording import sla_event_record

__all__ = [
    "POLICY_FIELDS",
    "STOPPED_STATES",
    "CalendarBook",
    "calendar_business",
    "calendar_changed",
    "calendar_date_remove",
    "calendar_date_set",
    "clock_next_due",
    "clock_used_duration",
    "default_calendar",
    "desk_settings_changed",
    "minutes_of",
    "policies_changed",
    "policy_for_ticket",
    "sla_event_record",
    "sla_events_record",
    "tickets_backfill",
]
