"""Raw 8-bit headers in a legacy charset are read in the charset the message declares, and a
mailed file's name loses its bidirectional controls as a portal upload's does
(docs/security.md, "Names and file names")."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportal.mail.content import mail_parse
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Attachment, Ticket

TESTDATA = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "emails"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _raw_iso_8859_2() -> bytes:
    return (
        "From: Štěpán Dvořák <stepan@firma.cz>\r\n"
        "To: support@localhost\r\n"
        "Subject: Účetní závěrka\r\n"
        "Message-ID: <zaverka-1@firma.cz>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-8859-2\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Dobrý den, posílám účetní závěrku.\r\n"
    ).encode("iso-8859-2")


def test_raw_iso_8859_2_headers_read_as_the_message_declares():
    parsed = mail_parse(_raw_iso_8859_2())
    assert parsed.subject == "Účetní závěrka"
    assert parsed.from_name == "Štěpán Dvořák"
    assert parsed.text.startswith("Dobrý den")


def test_the_request_and_the_new_customer_carry_the_right_letters(cast):
    deliver(_raw_iso_8859_2())
    ticket = Ticket.objects.get(summary="Účetní závěrka")
    assert ticket.requester.first_name == "Štěpán"
    assert ticket.requester.last_name == "Dvořák"


def test_raw_utf_8_headers_stay_utf_8_in_a_latin_mail():
    raw = (
        "From: Ana <ana@firma.ro>\r\nSubject: Parolă blocată\r\nTo: support@localhost\r\n"
        "Content-Type: text/plain; charset=ISO-8859-2\r\n\r\nx\r\n"
    ).encode()
    assert mail_parse(raw).subject == "Parolă blocată"


@pytest.mark.skipif(not TESTDATA.exists(), reason="shared test data not present")
def test_the_corpus_iso_8859_2_mail_decodes():
    parsed = mail_parse((TESTDATA / "redmine" / "gmail-iso8859-2.eml").read_bytes())
    assert parsed.subject == "Nikad više"
    assert "Na štriku se suši šosić." in parsed.text


def test_bidirectional_controls_leave_a_mailed_file_name(cast):
    deliver(
        mail(
            subject="Factura",
            attachments=[("invoice\u202efdp.exe", b"MZ", "application/octet-stream")],
        )
    )
    attachment = Attachment.objects.get(file_name__startswith="invoice")
    assert attachment.file_name == "invoicefdp.exe"
    assert "\u202e" not in attachment.file.name
