from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "supportal.sla"
    label = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.sla.sweeper import sla_sweep_due

        # A queue, not a periodic job: every worker sweeps on every tick, which is safe (each
        # warning and breach is claimed under a row lock) and costs one indexed query when
        # nothing is due.
        register_queue("sla.sweep", sla_sweep_due)
