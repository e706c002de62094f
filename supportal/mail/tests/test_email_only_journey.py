"""The customer who only writes e-mail, end to end through our SMTP listener and the worker
(docs/languages.md, "Customers who only use e-mail"): a stranger's first mail makes a request,
registers and invites her in the language she wrote in, keeps her small file and answers her
about the one over the limit; the person she copied is offered to the agent; the agent's file
travels with the reply; her answer by mail, with a file, lands on the request."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from supportal.core.jobs import worker_tick
from supportal.desks.models import Desk
from supportal.mail.management.commands.run_smtp import smtp_controller
from supportal.mail.models import InboundMessage, InboundState, OutboundEmail
from supportal.mail.tests.test_inbound_end_to_end import _free_port
from supportal.tickets import services
from supportal.tickets.models import Ticket

IOANA = "ioana.popescu@freemail.example"
TEXT = (
    "Bună ziua, imprimanta fiscală din magazinul nostru nu mai tipărește bonuri de ieri "
    "dimineață. Vă trimit factura și filmarea cu eroarea."
)


def _send(message: EmailMessage, to: str) -> None:
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(message, to_addrs=[to])
    finally:
        controller.stop()


def _drain() -> None:
    for _ in range(10):
        handled = worker_tick(holder="test", now=timezone.now())
        if not any(handled.values()):
            return


@pytest.mark.django_db(transaction=True)
def test_a_customer_who_only_writes_e_mail_gets_what_a_portal_user_gets(
    cast, client, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    desk = Desk.objects.get(pk=cast.help_desk.pk)
    desk.attachment_max_bytes = 1000
    desk.large_files_hint_ro = "Fișierele mari le puteți trimite prin ftp.tecnet.example."
    desk.save()

    first = EmailMessage()
    first["From"] = f"Ioana Popescu <{IOANA}>"
    first["To"] = "support@localhost"
    first["Cc"] = "Ion Retailer <ion@profi.example>"
    first["Subject"] = "Imprimanta fiscală nu tipărește"
    first["Message-ID"] = "<journey-1@freemail.example>"
    first.set_content(TEXT)
    first.add_attachment(
        b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="factura.pdf"
    )
    first.add_attachment(b"x" * 5000, maintype="video", subtype="mp4", filename="eroare.mp4")
    _send(first, "support@localhost")
    _drain()

    message = InboundMessage.objects.get()
    assert message.state == InboundState.PROCESSED and message.outcome["result"] == "created"
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    ioana = ticket.requester
    assert ioana.email == IOANA and ioana.get_full_name() == "Ioana Popescu"
    assert list(ticket.attachments.values_list("file_name", flat=True)) == ["factura.pdf"]
    # Registered and invited, in the language she wrote in; told about the file not kept.
    mails = {m.template: m for m in OutboundEmail.objects.filter(to=[IOANA])}
    assert mails["invitation"].language == "ro"
    too_large = mails["inbound_too_large"]
    assert too_large.language == "ro" and "eroare.mp4" in too_large.body_text
    assert "ftp.tecnet.example" in too_large.body_text
    # The person she copied is offered to the agent, one click away.
    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert 'id="copied"' in page and "ion@profi.example" in page

    # The agent answers with a file: it travels with the mail.
    OutboundEmail.objects.all().delete()
    report = SimpleUploadedFile("raport.pdf", b"%PDF-1.4 report", content_type="application/pdf")
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Am găsit cauza, vedeți raportul.",
        attachments=[services.NewAttachment(file=report)],
    )
    _drain()
    [update] = OutboundEmail.objects.filter(to=[IOANA], template="ticket_updated")
    assert update.language == "ro"
    assert [a["name"] for a in update.attachments] == ["raport.pdf"]

    # She answers from her mail client, with a file: it lands on the request as hers.
    answer = EmailMessage()
    answer["From"] = f"Ioana Popescu <{IOANA}>"
    answer["To"] = update.reply_to
    answer["Subject"] = f"Re: {update.subject}"
    answer["Message-ID"] = "<journey-2@freemail.example>"
    answer["In-Reply-To"] = update.message_id
    answer.set_content("Mulțumesc, acum merge. Atașez bonul de test.")
    answer.add_attachment(
        b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="bon.pdf"
    )
    _send(answer, update.reply_to)
    _drain()
    comment = ticket.comments.filter(author=ioana).latest("pk")
    assert comment.is_public and comment.via == "email"
    assert comment.body.startswith("Mulțumesc, acum merge.")
    assert list(comment.attachments.values_list("file_name", flat=True)) == ["bon.pdf"]
