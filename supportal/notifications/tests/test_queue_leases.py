"""The inbox and notification queues keep their claim while a long batch runs, and a dead
worker's claim is taken over after the short lease, as the outbox does (core.jobs.claimed_in_turn;
docs/security.md, "Workers")."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from supportal.core.jobs import claim_due
from supportal.mail.inbound import inbound_process_due, inbound_store
from supportal.mail.inbound import process as inbound
from supportal.mail.models import InboundChannel, InboundMessage, InboundState
from supportal.mail.tests.test_inbound_processing import mail
from supportal.notifications.models import PendingNotification, PendingState
from supportal.notifications.services import notifications_send_due
from supportal.notifications.services import worker as notifications
from supportal.tickets.models import Ticket

ROW_SECONDS = 0.6
SHORT_LEASE = timedelta(seconds=1.5)


def _stored_mails(count: int) -> None:
    for n in range(count):
        inbound_store(mail(subject=f"Problem {n}"), channel=InboundChannel.SMTP)


def _waiting_mails():
    return InboundMessage.objects.filter(state=InboundState.RECEIVED)


def _pending_notifications(cast, count: int):
    InboundMessage.objects.all().delete()
    PendingNotification.objects.all().delete()
    for n in range(count):
        cast.ticket(summary=f"Printer {n}")
    return PendingNotification.objects.filter(state=PendingState.PENDING)


def _slowed(monkeypatch, module, name: str, waiting) -> list[int]:
    """Make ``module.name`` take ROW_SECONDS per row, during which a second worker tries to
    claim what is due; returns the list of what it got."""
    stolen: list[int] = []
    original = getattr(module, name)

    def slow(row, *args, **kwargs):
        time.sleep(ROW_SECONDS)
        lease = timedelta(seconds=60)
        stolen.extend(
            r.pk for r in claim_due(waiting(), now=timezone.now(), limit=20, lease_duration=lease)
        )
        return original(row, *args, **kwargs)

    monkeypatch.setattr(module, name, slow)
    return stolen


def test_a_long_inbox_batch_keeps_its_claim(cast, monkeypatch):
    monkeypatch.setattr(inbound, "CLAIM_LEASE_DURATION", SHORT_LEASE)
    stolen = _slowed(monkeypatch, inbound, "_verdict", _waiting_mails)
    _stored_mails(6)  # 3.6 s of work: more than twice the lease
    assert inbound_process_due(timezone.now()) == 6
    assert stolen == []  # before the renewal the second worker took the rest
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {InboundState.PROCESSED}
    assert Ticket.objects.filter(summary__startswith="Problem").count() == 6


def test_a_long_notification_batch_keeps_its_claim(cast, monkeypatch):
    pending = _pending_notifications(cast, 6)
    assert pending.count() == 6
    monkeypatch.setattr(notifications, "CLAIM_LEASE_DURATION", SHORT_LEASE)
    stolen = _slowed(
        monkeypatch,
        notifications,
        "_handle",
        lambda: PendingNotification.objects.filter(state=PendingState.PENDING),
    )
    assert notifications_send_due(timezone.now()) == 6
    assert stolen == []
    assert not pending.exists()


@pytest.mark.parametrize("queue", ["inbox", "notifications"])
def test_a_dead_workers_claim_is_taken_over_after_the_lease(cast, queue):
    if queue == "inbox":
        _stored_mails(3)
        waiting, run, lease = _waiting_mails, inbound_process_due, inbound.CLAIM_LEASE_DURATION
    else:
        waiting = lambda: _pending_notifications(cast, 3)  # noqa: E731
        waiting()
        waiting = lambda: PendingNotification.objects.filter(state=PendingState.PENDING)  # noqa: E731
        run, lease = notifications_send_due, notifications.CLAIM_LEASE_DURATION
    assert lease <= timedelta(seconds=90)
    t0 = timezone.now()
    killed = claim_due(waiting(), now=t0, limit=20, lease_duration=lease)
    assert len(killed) == 3  # ...and the worker is killed -9 before handling any
    assert run(t0 + lease - timedelta(seconds=1)) == 0  # still its claim
    assert run(t0 + lease + timedelta(seconds=1)) == 3  # taken over, each handled once
    assert not waiting().exists()
    assert run(t0 + lease * 3) == 0
