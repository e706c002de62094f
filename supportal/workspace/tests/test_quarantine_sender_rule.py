"""The "always discard from this sender" rule of a desk, and the inbox honouring it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.mail.models import DiscardedSender, InboundMessage, InboundState
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Ticket


@pytest.fixture
def pushy(cast):
    """Two quarantined messages from one stranger who names a request they may not see."""
    ticket = cast.ticket()
    return [
        deliver(mail(sender="Oferte <oferte@spam.test>", subject=f"Re: {ticket.reference} {n}"))
        for n in (1, 2)
    ]


def test_always_discarding_a_sender_discards_their_waiting_mail_and_every_later_one(
    client, cast, pushy
):
    assert {m.state for m in pushy} == {InboundState.QUARANTINED}
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:quarantine")).text
    assert "Always discard from this sender" in page

    response = client.post(
        reverse("workspace:quarantine_discard_sender", args=[pushy[0].pk]), follow=True
    )
    assert "Mail from oferte@spam.test to HELP will always be discarded" in response.text
    assert "2 waiting messages were discarded" in response.text
    assert "No quarantined mail." in response.text
    assert "Senders always discarded" in response.text
    for message in pushy:
        message.refresh_from_db()
        assert message.state == InboundState.IGNORED
    rule = DiscardedSender.objects.get()
    assert (rule.address, rule.desk, rule.created_by) == (
        "oferte@spam.test",
        cast.help_desk,
        cast.agent_help,
    )

    # Later mail from that address to the desk: kept, ignored, never a request nor quarantined.
    tickets_before = Ticket.objects.count()
    later = deliver(mail(sender="OFERTE@spam.test", subject="Cea mai bună ofertă"))
    assert later.state == InboundState.IGNORED
    assert Ticket.objects.count() == tickets_before
    assert "always discarded" in later.outcome["reason"]
    # Someone else still gets through.
    other = deliver(mail(sender="Ion Pop <ion.pop@example.com>", subject="Imprimanta"))
    assert other.state == InboundState.PROCESSED


def test_removing_the_rule_lets_the_sender_through_again(client, cast, pushy):
    client.force_login(cast.agent_help)
    client.post(reverse("workspace:quarantine_discard_sender", args=[pushy[0].pk]), follow=True)
    rule = DiscardedSender.objects.get()

    # Another desk's agent can neither see nor remove it.
    client.force_login(cast.agent_dev)
    assert "oferte@spam.test" not in client.get(reverse("workspace:quarantine")).text
    remove = reverse("workspace:quarantine_sender_rule_remove", args=[rule.pk])
    assert client.post(remove).status_code == 404
    assert DiscardedSender.objects.exists()

    client.force_login(cast.agent_help)
    response = client.post(remove, follow=True)
    assert "is no longer discarded" in response.text
    assert not DiscardedSender.objects.exists()
    again = deliver(mail(sender="oferte@spam.test", subject="Ofertă nouă"))
    assert again.state == InboundState.PROCESSED  # a new request, as for anyone


def test_only_agents_of_the_receiving_desk_may_set_the_rule(client, cast, pushy):
    url = reverse("workspace:quarantine_discard_sender", args=[pushy[0].pk])
    client.force_login(cast.agent_dev)
    assert client.post(url).status_code == 404
    client.force_login(cast.cristina)
    assert client.post(url).status_code == 403
    assert client.get(url).status_code in {403, 405}
    assert not DiscardedSender.objects.exists()
    assert InboundMessage.objects.filter(state=InboundState.QUARANTINED).count() == 2
