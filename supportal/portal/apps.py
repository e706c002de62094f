from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "supportal.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from supportal.core.jobs import register_periodic
        from supportal.portal.uploads import pending_uploads_sweep

        register_periodic(
            "portal.pending_uploads_sweep", pending_uploads_sweep, every=timedelta(hours=1)
        )
