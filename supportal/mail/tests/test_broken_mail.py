"""Broken mail keeps its words (docs/email.md, "Broken mail"); the raw message is stored once
and stays one click away for agents; one inbound mail is one entry on the timeline
(docs/email.md, "One entry per mail")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from supportal.mail.content import mail_parse
from supportal.mail.inbound import inbound_store
from supportal.mail.models import InboundChannel, InboundMessage, InboundState
from supportal.mail.repair import Repair, legacy_decode
from supportal.mail.tests.test_inbound_processing import deliver, mail, reply_to_notification
from supportal.tickets.models import Attachment, Ticket

TESTDATA = Path(settings.BASE_DIR).parent / "shared" / "testdata" / "emails"
CZECH = "Dobrý den, posílám účetní závěrku, přílohy a šťastný žluťoučký kůň"
ROMANIAN = "Bună ziua, aplicaţia nu porneşte după actualizare, în fişierul ataşat"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _corpus(name: str) -> bytes:
    path = TESTDATA / name
    if not path.exists():
        pytest.fail(f"shared test data missing: {path}")
    return path.read_bytes()


# --- Character sets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        (CZECH, "cp1250", "iso8859-1"),  # Windows-1250 sent as Latin-1
        (CZECH, "cp1250", None),  # undeclared 8-bit bytes
        (CZECH, "iso8859-2", None),
        (CZECH, "iso8859-2", "cp1252"),
        (ROMANIAN, "cp1250", None),
        (ROMANIAN, "iso8859-2", "iso8859-1"),
    ],
)
def test_czech_and_romanian_bytes_under_a_wrong_or_missing_label_keep_their_letters(
    text, codec, label
):
    decoded, overruled = legacy_decode(text.encode(codec), label)
    assert decoded == text
    assert overruled


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Hei, jeg har et spørsmål om ærlig søknad på skolen", "iso8859-1"),
        ("Très élégant, à bientôt", "iso8859-1"),
        (CZECH, "iso8859-2"),
        (CZECH, "utf-8"),
    ],
)
def test_a_right_label_is_kept(text, codec):
    assert legacy_decode(text.encode(codec), codec) == (text, False)


def test_undeclared_windows_1250_headers_and_body_are_read_and_marked_repaired():
    raw = (
        "From: Štěpán Dvořák <stepan@firma.cz>\r\n"
        "To: support@localhost\r\n"
        "Subject: Účetní závěrka nejde uložit\r\n"
        "Message-ID: <w1250@firma.cz>\r\n\r\n" + CZECH + "\r\n"
    ).encode("cp1250")
    parsed = mail_parse(raw)
    assert parsed.from_name == "Štěpán Dvořák"
    assert parsed.subject == "Účetní závěrka nejde uložit"
    assert parsed.text.strip() == CZECH
    assert parsed.repairs == [Repair.CHARSET]


def test_a_body_labelled_iso_8859_1_but_written_in_windows_1250_is_read_as_czech():
    raw = (
        b"From: stepan@firma.cz\r\nTo: support@localhost\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + CZECH.encode("cp1250")
    )
    parsed = mail_parse(raw)
    assert parsed.text.strip() == CZECH
    assert parsed.repairs == [Repair.CHARSET]


def test_a_sound_mail_reports_no_repair():
    assert mail_parse(mail(body=CZECH)).repairs == []


def test_the_corpus_czech_text_labelled_utf_8_but_in_iso_8859_2_reads_as_czech():
    """redmine/ticket_with_text_attachment_iso-8859-2.eml: Seznam webmail labels ISO-8859-2 text
    as UTF-8 — as a file its bytes are kept as they are, as text it reads right."""
    raw = _corpus("redmine/ticket_with_text_attachment_iso-8859-2.eml")
    data = next(part.data for part in mail_parse(raw).attachments if part.name == "latin2.txt")
    assert legacy_decode(data, "utf-8") == ("příliš žluoučký kůn", True)


def test_the_corpus_undeclared_norwegian_keeps_its_letters():
    """request-tracker/new-ticket-from-iso-8859-1-full.eml: Eudora, 8-bit Latin-1 with no
    charset at all — the guess does not turn "ø æ å" into Czech letters."""
    parsed = mail_parse(_corpus("request-tracker/new-ticket-from-iso-8859-1-full.eml"))
    assert parsed.from_name == "Wilhelmsen Håvard"
    assert "letters like: ø æ å" in parsed.text
    assert parsed.repairs == [Repair.CHARSET]


def test_the_corpus_czech_forward_reads_without_repair():
    parsed = mail_parse(_corpus("django-helpdesk/utf-nondecodable.eml"))
    assert parsed.subject == "Fwd: Cyklozaměstnavatel - změna vyhodnocení"
    assert "poprosila o změnu vyhodnocení soutěže" in parsed.text
    assert parsed.repairs == []


def test_a_new_customer_learnt_from_undeclared_windows_1250_headers_keeps_the_letters(cast):
    raw = (
        "From: Štěpán Dvořák <stepan@novyfirma.cz>\r\nTo: support@localhost\r\n"
        "Subject: Tiskárna\r\nMessage-ID: <tisk-1@novyfirma.cz>\r\n\r\n" + CZECH + "\r\n"
    ).encode("cp1250")
    message = deliver(raw)
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    assert (ticket.requester.first_name, ticket.requester.last_name) == ("Štěpán", "Dvořák")
    assert ticket.details == CZECH
    assert message.outcome["repairs"] == ["charset"]


# --- Structure ------------------------------------------------------------------------------


def test_a_multipart_whose_boundary_is_wrong_is_read_part_by_part():
    raw = (
        b"From: Ana <ana@firma.ro>\r\nTo: support@localhost\r\nSubject: Factura\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="not-the-one"\r\n\r\n'
        b"--real-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Factura din martie nu se deschide.\r\n"
        b"--real-boundary\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="factura.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n"
        b"--real-boundary--\r\n"
    )
    parsed = mail_parse(raw)
    assert parsed.text.strip() == "Factura din martie nu se deschide."
    assert [(part.name, part.data) for part in parsed.attachments] == [("factura.pdf", b"%PDF-1.4")]
    assert parsed.repairs == [Repair.STRUCTURE]


def test_the_corpus_multipart_without_its_closing_boundary_keeps_its_text():
    parsed = mail_parse(_corpus("flanker/missing-final-boundary.eml"))
    assert parsed.text.strip() == "Some body"
    assert Repair.TRUNCATED in parsed.repairs


def test_the_corpus_false_multipart_is_no_attachment_named_part_1():
    parsed = mail_parse(_corpus("flanker/false-multipart.eml"))
    assert parsed.attachments == []
    assert Repair.STRUCTURE in parsed.repairs


def test_the_corpus_raw_utf_8_headers_with_a_stray_byte_keep_their_letters():
    parsed = mail_parse(_corpus("flanker/mailformed-headers.eml"))
    assert parsed.from_name.startswith("Юникод запрещен")


def test_a_multipart_without_any_boundary_keeps_its_words_as_text():
    raw = (
        b"From: ana@firma.ro\r\nTo: support@localhost\r\nSubject: x\r\n"
        b"Content-Type: multipart/alternative\r\n\r\nAplicatia nu porneste.\r\n"
    )
    parsed = mail_parse(raw)
    assert parsed.text.strip() == "Aplicatia nu porneste."
    assert parsed.attachments == []
    assert Repair.STRUCTURE in parsed.repairs


# --- Stored first, stored once, one entry, a remark for agents --------------------------------


def _broken_request_mail() -> bytes:
    return (
        b"From: Cristina <cristina.tanasescu@example.com>\r\nTo: support@localhost\r\n"
        b"Subject: Aplica\xfeia nu porne\xbate\r\nMessage-ID: <broken-1@example.com>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="gone"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        + ROMANIAN.encode("cp1250")
        + b"\r\n--b1\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="jurnal.txt"\r\n\r\nlinia 1\r\n--b1--\r\n'
    )


def _timeline(page: str) -> str:
    return page[page.index('<ol class="timeline">') : page.index("</ol>", page.index("timeline"))]


def test_a_broken_mail_becomes_a_readable_request_with_a_remark_for_agents_only(cast, client):
    raw = _broken_request_mail()
    stored = inbound_store(raw, channel=InboundChannel.SMTP)
    assert bytes(stored.message.raw) == raw  # stored before anything parsed it
    message = deliver(raw)
    assert message.pk == stored.message.pk and message.state == InboundState.PROCESSED
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    assert ticket.summary == "Aplicaţia nu porneşte"
    assert ticket.details == ROMANIAN
    # Stored once: the row's bytes; the request holds the mail's file, not a copy of the mail.
    assert list(Attachment.objects.values_list("file_name", flat=True)) == ["jurnal.txt"]
    assert InboundMessage.objects.count() == 1

    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert "The e-mail was damaged and has been repaired" in page
    assert "the MIME structure was broken and was rebuilt" in page
    original_url = f"/agent/mail/{message.pk}/original.eml"
    assert original_url in page
    download = client.get(original_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "message/rfc822"
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == raw

    client.force_login(cast.cristina)
    page = client.get(f"/requests/{ticket.reference}/").content.decode()
    assert ticket.details in page.replace("&#x27;", "'")
    assert "repaired" not in page
    assert client.get(original_url).status_code in (403, 404)


def test_the_original_is_not_found_for_an_agent_of_another_desk(cast, client):
    message = deliver(mail(subject="Imprimanta"))
    client.force_login(cast.agent_dev)
    assert client.get(f"/agent/mail/{message.pk}/original.eml").status_code == 404
    assert client.get("/agent/mail/999999/original.eml").status_code == 404


def test_a_reply_with_files_and_a_colleague_in_cc_is_one_timeline_entry(cast, client):
    ticket = cast.ticket()
    raw = reply_to_notification(
        ticket,
        body="Am atașat capturile.",
        headers={"Cc": f"{cast.colleague.email}, boss@elsewhere.test"},
        attachments=[
            ("ecran-1.png", b"\x89PNG one", "image/png"),
            ("ecran-2.png", b"\x89PNG two", "image/png"),
        ],
    )
    message = deliver(raw)
    assert message.outcome["result"] == "commented"
    kinds = sorted(ticket.events.filter(origin=f"mail:{message.pk}").values_list("kind", flat=True))
    assert kinds.count("attachment_added") == 2 and "participant_added" in kinds

    client.force_login(cast.agent_help)
    timeline = _timeline(client.get(f"/agent/tickets/{ticket.reference}/").content.decode())
    entries = re.findall(r'<li class="event ', timeline)
    before = ticket.events.exclude(origin=f"mail:{message.pk}").count()
    assert len(entries) == before + 1
    assert "ecran-1.png" in timeline and "ecran-2.png" in timeline
    assert str(cast.colleague) in timeline
    assert "Also addressed (not on this request): boss@elsewhere.test" in timeline

    client.force_login(cast.cristina)
    timeline = _timeline(client.get(f"/requests/{ticket.reference}/").content.decode())
    assert timeline.count("Am atașat capturile.") == 1
    assert "ecran-2.png" in timeline


def test_the_agent_ticket_page_reads_the_mails_in_one_query_whatever_their_number(
    cast, client, django_assert_max_num_queries
):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    deliver(reply_to_notification(ticket, body="Prima"))
    url = f"/agent/tickets/{ticket.reference}/"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(4):
        deliver(
            reply_to_notification(
                ticket, body=f"Încă una {number}", attachments=[("a.txt", b"a", "text/plain")]
            )
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("/original.eml") == 5


def test_a_new_request_by_mail_with_a_file_is_one_entry_and_the_customer_can_download_it(
    cast, client
):
    message = deliver(
        mail(subject="Factura", attachments=[("factura.pdf", b"%PDF-1", "application/pdf")])
    )
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    file = Attachment.objects.get(ticket=ticket)
    client.force_login(cast.cristina)
    timeline = _timeline(client.get(f"/requests/{ticket.reference}/").content.decode())
    assert len(re.findall(r'<li class="event ', timeline)) == 1
    assert f"/files/{file.pk}/" in timeline


def test_the_admin_opens_any_stored_original_from_the_received_mail_page(cast, client):
    raw = mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    message = deliver(raw)
    assert message.state == InboundState.IGNORED
    client.force_login(cast.admin)
    page = client.get(f"/admin/mail/inboundmessage/{message.pk}/change/").content.decode()
    url = f"/agent/mail/{message.pk}/original.eml"
    assert url in page
    assert client.get(url).content == raw
    client.force_login(cast.agent_help)  # an ignored message belongs to no request
    assert client.get(url).status_code == 404
