from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "supportal.mail"
    label = "mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.mail.outbox import outbox_send_due

        register_queue("mail.outbox", outbox_send_due)
