from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "supportal.sla"
    label = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.sla.services import sla_event_record, sla_events_record
        from supportal.sla.services.calendars import calendar_signals_connect
        from supportal.sla.sweeper import sla_sweep_due
        from supportal.tickets import events

        # First of the ticket events' listeners: the clocks change with the request. A batch
        # (an imported request's history) reads and writes each request's clocks once.
        events.listeners.register("sla", sla_event_record, many=sla_events_record)

        # A queue, not a periodic job: every worker sweeps on every tick, which is safe (each
        # warning and breach is claimed under a row lock) and costs one indexed query when
        # nothing is due.
        register_queue("sla.sweep", sla_sweep_due)

        # A calendar's built form is cached per process, keyed by its updated_at: every edit
        # of its periods and dates moves it.
        calendar_signals_connect()
