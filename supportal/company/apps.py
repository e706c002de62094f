from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompanyConfig(AppConfig):
    name = "supportal.company"
    label = "company"
    verbose_name = _("Company self-service")

    def ready(self) -> None:
        from supportal.company.newsletters import newsletter_send_due
        from supportal.core.jobs import register_queue
        from supportal.core.orphans import register_file_folder

        # A queue that every worker runs; the pace is bounded by deliveries already queued in
        # the last minute, so many workers together still keep NEWSLETTER_PER_MINUTE.
        register_queue("company.newsletter", newsletter_send_due)
        # Files an admin form stored and then did not save, or replaced (core.orphans).
        register_file_folder("downloads", model="company.Download", field="file")
        register_file_folder("newsletters", model="company.IssueAttachment", field="file")
