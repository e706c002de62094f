"""Several intake workers at once (docs/email.md, "Several workers"): each stored message is
processed once, answers still thread to their request, and a new sender's first mails taken
in at the same moment by two workers make one account, not a failure."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.utils import timezone

from supportal.accounts.models import User
from supportal.core.tests.threads import at_once
from supportal.mail.inbound import inbound_process_due, inbound_store, process
from supportal.mail.models import InboundChannel, InboundMessage, InboundState
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Comment, Ticket

WORKERS = 3
NEW_SENDER = "Ion Popescu <ion.popescu@client-nou.example>"


def _burst(reference: str) -> list[bytes]:
    """Twelve messages as they arrive together: answers to one request, new requests, and two
    from a sender nobody knows yet."""
    answers = [
        mail(subject=f"Re: [{reference}] Parola blocată", body=f"Raspunsul {n}") for n in range(6)
    ]
    news = [
        mail(sender=f"Client {n} <client{n}@firma.example>", subject=f"Cerere {n}")
        for n in range(4)
    ]
    strangers = [mail(sender=NEW_SENDER, subject=f"Prima mea cerere {n}") for n in range(2)]
    return [*answers, *news, *strangers]


def _process_until_none_is_due() -> None:
    while inbound_process_due(timezone.now()):
        pass


@pytest.mark.django_db(transaction=True)
def test_several_workers_process_each_message_once_and_answers_still_thread(cast, monkeypatch):
    ticket = deliver(mail(subject="Parola blocată")).ticket
    monkeypatch.setattr(process, "BATCH_SIZE", 2)  # small claims, so the workers interleave
    for raw in _burst(ticket.reference):
        inbound_store(raw, channel=InboundChannel.SMTP, recipients=["support@localhost"])

    assert at_once(WORKERS, _process_until_none_is_due) == []

    rows = InboundMessage.objects.exclude(ticket=ticket, outcome__result="created")
    assert rows.count() == 12
    assert set(rows.values_list("state", flat=True)) == {InboundState.PROCESSED}
    assert set(rows.values_list("attempts", flat=True)) == {1}
    comments = Comment.objects.filter(ticket=ticket, body__startswith="Raspunsul")
    assert sorted(comments.values_list("body", flat=True)) == [f"Raspunsul {n}" for n in range(6)]
    stranger = User.objects.get(email="ion.popescu@client-nou.example")
    assert Ticket.objects.filter(requester=stranger).count() == 2
    assert Ticket.objects.filter(summary__startswith="Cerere ").count() == 4


def test_a_new_sender_registered_by_another_worker_meanwhile_is_taken_as_is(cast, monkeypatch):
    from supportal.accounts import services as account_services

    def registered_meanwhile(*, email: str, **_fields: object) -> User:
        # Another worker's mail from the same new sender committed the account after our
        # look-up found none: our INSERT then meets the unique address.
        User.objects.create_user(email, password=None)
        raise IntegrityError('duplicate key value violates unique constraint "email"')

    monkeypatch.setattr(account_services, "customer_register", registered_meanwhile)

    message = deliver(mail(sender=NEW_SENDER, subject="Prima mea cerere"))

    assert message.state == InboundState.PROCESSED
    assert message.ticket.requester == User.objects.get(email="ion.popescu@client-nou.example")
