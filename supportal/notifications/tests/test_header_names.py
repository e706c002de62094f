"""Names in mail headers: a CR/LF in someone's name neither breaks nor injects a header, and a
customer's own name never becomes the From: name (docs/security.md, "Names and file names")."""

from __future__ import annotations

from email import message_from_bytes, policy

from django.core import mail as django_mail
from django.utils import timezone

from supportal.accounts.models import User
from supportal.mail.models import OutboundState
from supportal.mail.outbox import outbox_send_due
from supportal.notifications.tests.test_rules import AGENT, COLLEAGUE, CRISTINA, only
from supportal.tickets import services

HOSTILE = "Bogdan\r\nBcc: victim@evil.test\r\n\u202eMoraru"


def _sent(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = []
    outbox_send_due(timezone.now())
    sent = {}
    for message in django_mail.outbox:
        parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
        for address in message.to:
            sent[address] = parsed
    return sent


def test_a_line_break_in_an_agents_name_breaks_no_mail_and_injects_no_header(
    cast, mailbox, settings
):
    ticket = cast.ticket(participants=[cast.colleague])
    mailbox.deliver()
    # Written past every form, as an old row or a direct database change would hold it.
    User.objects.filter(pk=cast.agent_help.pk).update(first_name=HOSTILE)
    agent = User.objects.get(pk=cast.agent_help.pk)
    services.ticket_comment_add(ticket=ticket, author=agent, body="We are on it.")
    emails = mailbox.deliver()
    assert {CRISTINA, COLLEAGUE} <= {a for e in emails for a in e.to}
    sent = _sent(settings)
    for address in (CRISTINA, COLLEAGUE):
        email = only(emails, address)
        email.refresh_from_db()
        assert email.state == OutboundState.SENT, email.last_error
        parsed = sent[address]
        assert parsed["Bcc"] is None
        assert (
            parsed["From"].addresses[0].display_name == "Bogdan Bcc: victim@evil.test Moraru Moraru"
        )
        assert "victim@evil.test" not in [a.addr_spec for a in parsed["From"].addresses]


def test_names_are_one_clean_line_whichever_way_they_are_saved(cast):
    cast.colleague.first_name = "Ion\r\nX-Evil: 1"
    cast.colleague.last_name = "Po\u202epescu"
    cast.colleague.save()
    cast.colleague.refresh_from_db()
    assert cast.colleague.get_full_name() == "Ion X-Evil: 1 Popescu"


def test_a_customers_own_receipt_comes_from_the_desk_not_from_her_name(cast, mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Tecnet Support <support@help.example.com>"
    cast.ticket()
    receipt = only(mailbox.deliver(), CRISTINA)
    assert receipt.from_email == "Tecnet Support <support@help.example.com>"
    assert "Tănăsescu" not in receipt.from_email


def test_an_agents_reply_still_carries_the_agents_name(cast, mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Tecnet Support <support@help.example.com>"
    ticket = cast.ticket()
    mailbox.deliver()
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Done.")
    mail = only(mailbox.deliver(), CRISTINA)
    assert mail.from_email == "Bogdan Moraru <support@help.example.com>"
    assert AGENT not in mail.from_email
