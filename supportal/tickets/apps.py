from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "supportal.tickets"
    label = "tickets"
    verbose_name = _("Requests")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.tickets.services import tickets_close_due

        # A queue, not a periodic job: the partial index makes an idle check nearly free, and
        # each due ticket is closed under its own row lock, so every worker may run it.
        register_queue("tickets.auto_close", lambda now: tickets_close_due(now=now))
