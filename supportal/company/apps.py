from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompanyConfig(AppConfig):
    name = "supportal.company"
    label = "company"
    verbose_name = _("Company self-service")

    def ready(self) -> None:
        from supportal.company.newsletters import newsletter_send_due
        from supportal.core.jobs import register_queue

        # A queue that every worker runs; the pace is bounded by deliveries already queued in
        # the last minute, so many workers together still keep NEWSLETTER_PER_MINUTE.
        register_queue("company.newsletter", newsletter_send_due)
