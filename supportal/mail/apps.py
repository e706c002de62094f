from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "supportal.mail"
    label = "mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from supportal.core import mails
        from supportal.core.jobs import register_periodic, register_queue
        from supportal.core.orphans import register_file_referrer
        from supportal.mail.inbound import inbound_process_due
        from supportal.mail.mailboxes import mail_fetch_all
        from supportal.mail.outbox import mail_to_queue, outbox_attachment_paths, outbox_send_due

        # The mails of the layers below (accounts' invitations, resets, sign-up checks).
        mails.outboxes.register("mail", mail_to_queue)

        register_queue("mail.outbox", outbox_send_due)
        # Files unsent mail will attach are never orphans, whatever row owned them.
        register_file_referrer("mail.outbox", outbox_attachment_paths)
        register_queue("mail.inbound", inbound_process_due)
        # Stored mailboxes (docs/email.md, "Mailboxes") and those of SUPPORTAL_IMAP_MAILBOXES.
        register_periodic("mail.fetch", mail_fetch_all, every=timedelta(minutes=1))
