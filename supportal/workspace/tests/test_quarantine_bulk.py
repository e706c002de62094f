"""Discarding several quarantined messages at once."""

from __future__ import annotations

from django.urls import reverse

from supportal.mail.models import InboundState
from supportal.mail.tests.test_inbound_processing import deliver, mail


def _stranger(ticket, number):
    message = deliver(
        mail(
            sender=f"spam{number}@evil.test",
            subject=f"Re: {ticket.reference} offer {number}",
            body="buy now",
        )
    )
    assert message.state == InboundState.QUARANTINED
    return message


def test_an_agent_discards_the_selected_messages_and_only_those(client, cast):
    ticket = cast.ticket()
    first, second, kept = (_stranger(ticket, n) for n in range(3))
    client.force_login(cast.agent_help)
    assert 'name="message"' in client.get(reverse("workspace:quarantine")).text

    response = client.post(
        reverse("workspace:quarantine_discard_selected"),
        {"message": [first.pk, second.pk, 999999]},
        follow=True,
    )

    assert "2 messages discarded." in response.text
    assert "1 selected message was not discarded" in response.text
    for message, state in (
        (first, InboundState.IGNORED),
        (second, InboundState.IGNORED),
        (kept, InboundState.QUARANTINED),
    ):
        message.refresh_from_db()
        assert message.state == state


def test_an_agent_of_another_desk_discards_nothing(client, cast):
    message = _stranger(cast.ticket(), 1)
    client.force_login(cast.agent_dev)
    client.post(reverse("workspace:quarantine_discard_selected"), {"message": [message.pk]})
    message.refresh_from_db()
    assert message.state == InboundState.QUARANTINED
