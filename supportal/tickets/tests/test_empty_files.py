"""An empty (0-byte) file is refused with a clear message on the portal and in the workspace,
and nothing is stored; ``ingest_email`` on a mail already stored says so and nothing else
(docs/security.md)."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from supportal.core.errors import InvalidInput
from supportal.mail.tests.test_inbound_processing import mail
from supportal.tickets import services
from supportal.tickets.models import Attachment, Comment


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_service_refuses_an_empty_file_and_stores_nothing(cast):
    ticket = cast.ticket()
    files = [
        services.NewAttachment(file=SimpleUploadedFile("ok.txt", b"x")),
        services.NewAttachment(file=SimpleUploadedFile("gol.pdf", b"")),
    ]
    with pytest.raises(InvalidInput, match=r"“gol\.pdf” is empty"):
        services.ticket_comment_add(
            ticket=ticket, author=cast.agent_help, body="x", attachments=files
        )
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_the_portal_tells_the_customer_and_keeps_the_text(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    response = client.post(
        reverse("portal:comment", args=[ticket.reference]),
        {"body": "Vedeți atașamentul", "attachments": [SimpleUploadedFile("gol.pdf", b"")]},
        follow=True,
    )
    assert response.status_code in (200, 400)
    assert "is empty (0 bytes)" in response.text
    assert "Vedeți atașamentul" in response.text
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_the_workspace_tells_the_agent(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.post(
        reverse("workspace:comment", args=[ticket.reference]),
        {
            "body": "Atașat",
            "visibility": "public",
            "attachments": [SimpleUploadedFile("g.pdf", b"")],
        },
        follow=True,
    )
    assert response.status_code != 500
    assert "is empty (0 bytes)" in response.text
    assert not Comment.objects.filter(ticket=ticket, body="Atașat").exists()


def test_ingest_email_says_a_mail_already_stored_brings_nothing_new(cast, monkeypatch):
    raw = mail(subject="Imprimanta nu merge", message_id="<once@example.com>")
    outputs = []
    for _ in range(2):

        class Stdin:
            buffer = io.BytesIO(raw)

        monkeypatch.setattr(sys, "stdin", Stdin)
        out = io.StringIO()
        call_command("ingest_email", stdout=out)
        outputs.append(out.getvalue())
    assert "new request HELP-1" in outputs[0]
    assert "already stored as #" in outputs[1]
    assert "nothing new" in outputs[1]
    assert "HELP-1" not in outputs[1]
