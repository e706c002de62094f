"""Quarantined mail: which desk's agents see it, and the decisions the admin and the workspace
share."""

from __future__ import annotations

import pytest

from supportal.core.errors import InvalidInput, NotFound
from supportal.desks.models import Desk
from supportal.mail.models import InboundState
from supportal.mail.quarantine import (
    inbound_decide,
    quarantine_get_for_user,
    quarantine_list_for_user,
    quarantine_text,
)
from supportal.mail.tests.test_inbound_processing import deliver, mail


@pytest.fixture
def quarantined(cast):
    """A stranger's mail to HELP naming a HELP request, and one to DEV naming a DEV request."""
    Desk.objects.filter(pk=cast.dev_desk.pk).update(email_address="dev@localhost")
    help_ticket = cast.ticket()
    dev_ticket = cast.ticket(desk=cast.dev_desk)
    help_mail = deliver(
        mail(sender="spam@evil.test", subject=f"Re: {help_ticket.reference}", body="<b>hi</b>")
    )
    dev_mail = deliver(
        mail(sender="spam@evil.test", to="dev@localhost", subject=f"Re: {dev_ticket.reference}")
    )
    assert help_mail.state == dev_mail.state == InboundState.QUARANTINED
    return help_mail, dev_mail


def test_processing_records_the_receiving_desk_of_a_quarantined_mail(cast, quarantined):
    help_mail, dev_mail = quarantined
    assert (help_mail.outcome["desk"], dev_mail.outcome["desk"]) == ("HELP", "DEV")


def test_agents_see_only_their_desks_quarantined_mail_and_superusers_all(cast, quarantined):
    help_mail, dev_mail = quarantined
    assert list(quarantine_list_for_user(cast.agent_help)) == [help_mail]
    assert list(quarantine_list_for_user(cast.agent_dev)) == [dev_mail]
    assert set(quarantine_list_for_user(cast.admin)) == {help_mail, dev_mail}
    assert not quarantine_list_for_user(cast.cristina).exists()
    with pytest.raises(NotFound):
        quarantine_get_for_user(cast.agent_help, dev_mail.pk)


def test_the_text_of_a_quarantined_mail_is_read_from_its_stored_bytes(cast, quarantined):
    assert quarantine_text(quarantined[0]).strip() == "<b>hi</b>"


def test_an_agent_may_not_attach_mail_to_a_request_they_cannot_see(cast, quarantined):
    _help_mail, dev_mail = quarantined
    with pytest.raises(NotFound):
        inbound_decide(message=dev_mail, decision="attach", actor=cast.agent_help)
    dev_mail.refresh_from_db()
    assert dev_mail.state == InboundState.QUARANTINED


def test_a_decided_message_cannot_be_decided_again(cast, quarantined):
    help_mail, _dev_mail = quarantined
    decided = inbound_decide(message=help_mail, decision="discard", actor=cast.agent_help)
    assert decided.state == InboundState.IGNORED
    with pytest.raises(InvalidInput):
        inbound_decide(message=decided, decision="new", actor=cast.agent_help)
