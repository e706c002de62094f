"""``manage.py send_test_email ADDRESS``: check that EMAIL_URL delivers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from supportal.core.jobs import claim_due
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import CLAIM_LEASE_DURATION, email_queue, outbox_deliver


class Command(BaseCommand):
    help = (
        "Queue a test message to ADDRESS; the worker sends it. With --now, send it at once and"
        " report the mail server's answer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address")
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="Language of the message."
        )
        parser.add_argument(
            "--now", action="store_true", help="Send from this process instead of the worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language: str = options["language"]
        with override(language):
            subject = _("Supportal test message")
            body = _(
                "This is a test message from Supportal at %(base_url)s. If you can read it,"
                " outgoing e-mail works."
            ) % {"base_url": settings.SUPPORTAL_BASE_URL}
        with transaction.atomic():
            email = email_queue(
                to=options["address"],
                template="plain",
                context={"subject": subject, "body": body},
                language=language,
            )
        self.stdout.write(f"Queued {email.message_id} to {options['address']}.")
        if not options["now"]:
            self.stdout.write("The worker (manage.py run_worker) sends it.")
            return

        now = timezone.now()
        claimed = claim_due(
            OutboundEmail.objects.filter(pk=email.pk, state=OutboundState.PENDING),
            now=now,
            limit=1,
            lease_duration=CLAIM_LEASE_DURATION,
        )
        outbox_deliver(claimed, now=now)
        email.refresh_from_db()
        if email.state != OutboundState.SENT:
            raise CommandError(f"Not sent ({email.get_state_display()}): {email.last_error}")
        self.stdout.write(self.style.SUCCESS(f"Sent with {settings.EMAIL_BACKEND}."))
