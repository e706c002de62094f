from __future__ import annotations

import pytest
from django.utils import timezone

from supportal.mail.models import OutboundEmail
from supportal.notifications.services import notifications_send_due
from supportal.sla.tests.conftest import default_policy, office_calendar  # noqa: F401 (SLA mails)


class Mailbox:
    """The outbox as the tests read it: run the notification worker, then look at what it
    queued since the last look."""

    def __init__(self) -> None:
        self.seen_pk = 0

    def deliver(self) -> list[OutboundEmail]:
        """Run the notification queue until it is empty; return the new outbox rows."""
        while notifications_send_due(timezone.now()):
            pass
        new = list(OutboundEmail.objects.filter(pk__gt=self.seen_pk).order_by("pk"))
        if new:
            self.seen_pk = new[-1].pk
        return new

    def to(self, address: str) -> list[OutboundEmail]:
        return [email for email in self.deliver() if address in email.to]


@pytest.fixture
def mailbox(cast, settings) -> Mailbox:
    settings.SUPPORTAL_MAIL_DOMAIN = "help.example.com"
    settings.SUPPORTAL_BASE_URL = "https://help.example.com"
    box = Mailbox()
    box.deliver()  # whatever the cast's set-up produced
    return box


def recipients(emails: list[OutboundEmail]) -> list[str]:
    return [address for email in emails for address in email.to]
