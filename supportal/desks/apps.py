from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DesksConfig(AppConfig):
    name = "supportal.desks"
    label = "desks"
    verbose_name = _("Desks")

    def ready(self) -> None:
        from supportal.desks.choices import choices_signals_connect

        # What pages keep per process is read again after the administration changes it.
        choices_signals_connect()
