from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "supportal.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from supportal.audit.services import audit_purge
        from supportal.core.jobs import register_periodic

        register_periodic("audit.purge", audit_purge, every=timedelta(days=1))
