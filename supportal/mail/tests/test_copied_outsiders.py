"""A desk may share a request with the people from outside the company that the requester's
mail copies (``Desk.shares_with_copied_outsiders``, off by default), within the company's
privacy rules (docs/languages.md#customers-who-only-use-e-mail)."""

from __future__ import annotations

import pytest

from supportal.core.jobs import worker_tick
from supportal.mail.inbound.people import COPIED_OUTSIDERS_MAX
from supportal.mail.inbound.tokens import personal_reply_address
from supportal.mail.models import OutboundEmail
from supportal.mail.tests.test_inbound_processing import deliver, reply_to_notification
from supportal.tickets import services
from supportal.tickets.models import Participant

OUTSIDER = "ion@profi.example"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def sharing_desk(cast):
    cast.help_desk.shares_with_copied_outsiders = True
    cast.help_desk.save()
    return cast.help_desk


def _shared_with(ticket) -> set[str]:
    return set(Participant.objects.filter(ticket=ticket).values_list("user__email", flat=True))


def _verified_reply(cast, ticket, cc: str, **fields) -> bytes:
    """Cristina's reply to her own reply address: the sender is proven (docs/security.md)."""
    to = personal_reply_address(ticket=ticket, user=cast.cristina)
    return reply_to_notification(ticket, to=to, headers={"Cc": cc}, **fields)


def test_by_default_an_outsider_in_cc_is_only_offered_to_agents(cast):
    ticket = cast.ticket()
    message = deliver(_verified_reply(cast, ticket, OUTSIDER))
    assert message.outcome["result"] == "commented"
    assert message.outcome["copied"] == [OUTSIDER]
    assert _shared_with(ticket) == set()


def test_the_desk_setting_shares_with_the_outsider_who_then_gets_the_updates(
    cast, sharing_desk, client
):
    ticket = cast.ticket()
    OutboundEmail.objects.all().delete()
    message = deliver(_verified_reply(cast, ticket, f"Ion <{OUTSIDER}>"))
    assert message.outcome["sender_verified"] is True
    assert _shared_with(ticket) == {OUTSIDER}
    assert "copied" not in message.outcome  # nothing left to offer
    assert not OutboundEmail.objects.filter(template="invitation").exists()

    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Am găsit cauza.")
    worker_tick(holder="test")
    assert OutboundEmail.objects.filter(to=[OUTSIDER]).exists()

    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert 'id="copied"' not in page


def test_another_companys_customer_and_agents_are_never_shared_with(cast, sharing_desk):
    ticket = cast.ticket()
    cc = f"{cast.other_customer.email}, {cast.agent_dev.email}, {OUTSIDER}"
    message = deliver(_verified_reply(cast, ticket, cc))
    assert _shared_with(ticket) == {OUTSIDER}
    assert message.outcome["copied"] == [cast.other_customer.email]


def test_unverified_mail_shares_with_nobody(cast, sharing_desk):
    ticket = cast.ticket()
    message = deliver(reply_to_notification(ticket, headers={"Cc": OUTSIDER}))
    assert message.outcome["sender_verified"] is False
    assert message.outcome["result"] == "commented"
    assert _shared_with(ticket) == set()
    assert message.outcome["copied"] == [OUTSIDER]


def test_a_participants_mail_does_not_share_with_outsiders(cast, sharing_desk):
    ticket = cast.ticket()
    services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    to = personal_reply_address(ticket=ticket, user=cast.colleague)
    message = deliver(
        reply_to_notification(ticket, to=to, sender=cast.colleague.email, headers={"Cc": OUTSIDER})
    )
    assert message.outcome["result"] == "commented"
    assert _shared_with(ticket) == {cast.colleague.email}


def test_a_crowd_in_cc_shares_with_at_most_the_limit(cast, sharing_desk):
    ticket = cast.ticket()
    crowd = [f"person{number}@crowd.example" for number in range(COPIED_OUTSIDERS_MAX + 2)]
    message = deliver(_verified_reply(cast, ticket, ", ".join(crowd)))
    assert len(_shared_with(ticket)) == COPIED_OUTSIDERS_MAX
    assert message.outcome["copied"] == crowd[COPIED_OUTSIDERS_MAX:]
