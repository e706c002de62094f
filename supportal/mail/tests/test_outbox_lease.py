"""Outbox leases: a killed worker's mails are claimed again once its short lease has passed, and
a worker sending a long batch renews its claim so nobody else sends the same mail
(docs/security.md, "Workers")."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from supportal.core.jobs import claim_due
from supportal.mail import outbox
from supportal.mail.models import OutboundEmail, OutboundState


def _queue(count: int) -> list[OutboundEmail]:
    return [
        outbox.email_queue(
            to=f"c{n}@example.com",
            template="plain",
            context={"subject": f"m{n}", "body": "Hello"},
            language="en",
        )
        for n in range(count)
    ]


def _pending():
    return OutboundEmail.objects.filter(state=OutboundState.PENDING)


def test_a_killed_workers_mails_are_claimed_again_within_the_lease(db):
    assert timedelta(minutes=2) >= outbox.CLAIM_LEASE_DURATION
    _queue(5)
    t0 = timezone.now()
    killed = claim_due(_pending(), now=t0, limit=20, lease_duration=outbox.CLAIM_LEASE_DURATION)
    assert len(killed) == 5  # ...and the worker is killed before sending any
    almost = t0 + outbox.CLAIM_LEASE_DURATION - timedelta(seconds=1)
    assert claim_due(_pending(), now=almost, limit=20, lease_duration=timedelta(seconds=90)) == []
    after = t0 + outbox.CLAIM_LEASE_DURATION + timedelta(seconds=1)
    again = claim_due(_pending(), now=after, limit=20, lease_duration=timedelta(seconds=90))
    assert sorted(e.pk for e in again) == sorted(e.pk for e in killed)


class SlowServer(EmailBackend):
    """A mail server that takes 0.6 s per message; while it works, a second worker tries to
    claim what is due."""

    stolen: list[int] = []

    def send_messages(self, messages):
        time.sleep(0.6)
        SlowServer.stolen += [
            e.pk
            for e in claim_due(
                _pending(), now=timezone.now(), limit=20, lease_duration=timedelta(seconds=60)
            )
        ]
        return super().send_messages(messages)


def test_a_long_batch_renews_its_claim_so_no_mail_is_sent_twice(db, settings, monkeypatch):
    settings.EMAIL_BACKEND = "supportal.mail.tests.test_outbox_lease.SlowServer"
    monkeypatch.setattr(outbox, "CLAIM_LEASE_DURATION", timedelta(seconds=1.5))
    SlowServer.stolen = []
    emails = _queue(6)  # 3.6 s of sending: more than twice the lease
    assert outbox.outbox_send_due(timezone.now()) == 6
    assert SlowServer.stolen == []
    sent = OutboundEmail.objects.filter(pk__in=[m.pk for m in emails])
    assert {e.state for e in sent} == {OutboundState.SENT}
