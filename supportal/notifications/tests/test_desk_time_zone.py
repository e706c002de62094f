"""A desk's time zone for its customers whose own is not known (docs/languages.md): the
deadline in the reply reminder, and dates in their mail, are written in it; a person's or a
company's own zone comes first."""

from __future__ import annotations

from supportal.accounts.languages import recipient_time_zone
from supportal.notifications.tests.conftest import recipients
from supportal.notifications.tests.test_sla_mails import CRISTINA, sla_mails, waiting  # noqa: F401
from supportal.sla import sweeper
from supportal.sla.tests.conftest import bucharest


def test_the_chain_is_the_persons_the_companys_the_desks_the_sites(cast):
    desk = cast.help_desk
    desk.time_zone = "Europe/Prague"
    assert recipient_time_zone(cast.cristina, desk=desk) == "Europe/Prague"
    assert recipient_time_zone(cast.cristina) == "Europe/Bucharest"  # the site's
    cast.cristina_srl.time_zone = "Europe/London"
    cast.cristina_srl.save()
    assert recipient_time_zone(cast.cristina, desk=desk) == "Europe/London"
    cast.cristina.time_zone = "America/New_York"
    assert recipient_time_zone(cast.cristina, desk=desk) == "America/New_York"


def test_the_reply_reminder_names_the_deadline_in_the_desks_time_zone(cast, waiting, mailbox):  # noqa: F811
    cast.help_desk.time_zone = "Europe/Prague"  # an hour behind Bucharest
    cast.help_desk.save()
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:31"))
    reminder = sla_mails(mailbox)
    assert recipients(reminder) == [CRISTINA]
    assert "10 a.m." in reminder[0].body_text  # 11:00 in Bucharest
    assert "11 a.m." not in reminder[0].body_text


def test_agents_are_not_written_to_in_the_desks_time_zone(cast):
    cast.help_desk.time_zone = "Europe/Prague"
    cast.help_desk.save()
    from supportal.notifications.services.rules import Recipient

    agent = Recipient(user=cast.agent_help, address=cast.agent_help.email)
    assert agent.time_zone == "Europe/Bucharest"
