"""Who hears the SLA's own events (warnings, breaches, reminders, overdue answers).

The sweeper writes an ``SlaEvent`` and tells these listeners in its transaction, in this order;
the notifications and webhooks apps register themselves in their ``AppConfig.ready()``, so the
SLA never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportal.core.listeners import ListenerList

if TYPE_CHECKING:
    from supportal.sla.models import SlaEvent

listeners: ListenerList[SlaEvent] = ListenerList("SLA events", order=("notifications", "webhooks"))
