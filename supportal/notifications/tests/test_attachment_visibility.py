"""A notification mail names and carries, for each recipient, only the files their portal page
shows them (docs/requirements.md#visibility, V5; docs/security.md)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportal.notifications.tests.test_rules import only
from supportal.tickets import services

CRISTINA = "cristina.tanasescu@example.com"
COLLEAGUE = "ion.popescu@example.com"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _file(name: str) -> services.NewAttachment:
    return services.NewAttachment(file=SimpleUploadedFile(name, b"1;2;3"))


def _names(mail) -> list[str]:
    return [item["name"] for item in mail.attachments]


def test_a_colleague_is_not_mailed_a_file_the_portal_hides_from_them(cast, mailbox):
    assert not cast.cristina_srl.shares_attachments
    ticket = cast.ticket(participants=[cast.colleague])
    mailbox.deliver()
    # Cristina's own upload: she and the support team see it, her colleague does not.
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="See the attached steps.",
        attachments=[_file("steps.txt")],
    )
    mailbox.deliver()
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.cristina,
        body="Here is the list you asked for.",
        attachments=[_file("SALARY-LIST-2026.xlsx")],
    )
    emails = mailbox.deliver()
    colleague_mail = only(emails, COLLEAGUE)
    assert "Here is the list you asked for." in colleague_mail.body_text
    assert "SALARY-LIST" not in colleague_mail.body_text
    assert "SALARY-LIST" not in colleague_mail.body_html
    assert _names(colleague_mail) == []


def test_the_support_teams_public_files_reach_every_customer(cast, mailbox):
    ticket = cast.ticket(participants=[cast.colleague])
    mailbox.deliver()
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Steps attached.", attachments=[_file("s.txt")]
    )
    emails = mailbox.deliver()
    for address in (CRISTINA, COLLEAGUE):
        mail = only(emails, address)
        assert "Attached: s.txt" in mail.body_text
        assert _names(mail) == ["s.txt"]


def test_where_the_company_shares_files_the_colleague_gets_them(cast, mailbox):
    cast.cristina_srl.shares_attachments = True
    cast.cristina_srl.save()
    ticket = cast.ticket(participants=[cast.colleague])
    mailbox.deliver()
    services.ticket_comment_add(
        ticket=ticket, author=cast.cristina, body="The list.", attachments=[_file("list.csv")]
    )
    mail = only(mailbox.deliver(), COLLEAGUE)
    assert "Attached: list.csv" in mail.body_text
    assert _names(mail) == ["list.csv"]
