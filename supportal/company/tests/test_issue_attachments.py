"""Newsletter issues with attachments: stored through the storage API, referenced by the
outbox rows, attached when the outbox sends."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from supportal.company import services
from supportal.company.models import IssueAttachment, NewsletterList, Subscription
from supportal.company.newsletters import newsletter_send_due
from supportal.core.errors import InvalidInput
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import outbox_send_due

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 legislative update"


@pytest.fixture
def business(radu) -> NewsletterList:
    newsletter = NewsletterList.objects.create(name="BUSINESS REPORT", code="000BR")
    Subscription.objects.create(newsletter=newsletter, contact=radu)
    return newsletter


@pytest.fixture
def locmem(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def send_with_form(client, cast, newsletter, *files):
    client.force_login(cast.agent_help)
    return client.post(
        reverse("workspace:newsletter", args=[newsletter.pk]),
        {"subject": "Legislative update", "body": "See the attached file.", "attachments": files},
    )


def test_a_sent_newsletter_carries_the_uploaded_file(client, cast, business, locmem):
    response = send_with_form(
        client, cast, business, SimpleUploadedFile("lege.pdf", PDF, "application/pdf")
    )
    assert response.status_code == 302
    attachment = IssueAttachment.objects.get()
    assert default_storage.exists(attachment.file.name)
    assert (attachment.name, attachment.size) == ("lege.pdf", len(PDF))

    newsletter_send_due(timezone.now())
    queued = OutboundEmail.objects.get()
    assert queued.attachments == [
        {"path": attachment.file.name, "name": "lege.pdf", "content_type": "application/pdf"}
    ]
    assert outbox_send_due(timezone.now()) == 1
    [sent] = mail.outbox
    assert sent.attachments[0].filename == "lege.pdf"
    assert sent.attachments[0].content == PDF
    assert sent.attachments[0].mimetype == "application/pdf"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_several_files_reach_every_subscriber(client, cast, business, petr_contact, locmem):
    Subscription.objects.create(newsletter=business, contact=petr_contact)
    send_with_form(
        client,
        cast,
        business,
        SimpleUploadedFile("a.txt", b"alpha", "text/plain"),
        SimpleUploadedFile("b.csv", b"1,2", "text/csv"),
    )
    newsletter_send_due(timezone.now())
    assert outbox_send_due(timezone.now()) == 2
    assert [[a.filename for a in m.attachments] for m in mail.outbox] == [["a.txt", "b.csv"]] * 2


def test_the_issue_page_lists_its_attachments(client, cast, business):
    send_with_form(client, cast, business, SimpleUploadedFile("lege.pdf", PDF, "application/pdf"))
    issue = IssueAttachment.objects.get().issue
    page = client.get(reverse("workspace:newsletter_issue", args=[issue.pk]))
    assert "lege.pdf" in page.text


def test_attachments_over_the_limit_are_refused(client, cast, business, settings):
    settings.SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES = 10
    response = send_with_form(
        client, cast, business, SimpleUploadedFile("big.bin", b"x" * 11, "application/zip")
    )
    assert response.status_code == 200
    assert "at most" in response.text
    assert not IssueAttachment.objects.exists()
    with pytest.raises(InvalidInput):
        services.issue_send(
            newsletter=business,
            actor=cast.agent_help,
            subject="S",
            body="B",
            attachments=[SimpleUploadedFile("big.bin", b"x" * 11)],
        )


def test_a_missing_file_fails_that_mail_and_is_retried(cast, business, locmem):
    services.issue_send(
        newsletter=business,
        actor=cast.agent_help,
        subject="S",
        body="B",
        attachments=[SimpleUploadedFile("lege.pdf", PDF, "application/pdf")],
    )
    newsletter_send_due(timezone.now())
    attachment = IssueAttachment.objects.get()
    default_storage.delete(attachment.file.name)

    assert outbox_send_due(timezone.now()) == 1
    queued = OutboundEmail.objects.get()
    assert queued.state == OutboundState.PENDING
    assert queued.next_attempt_at > timezone.now()
    assert "'lege.pdf' is missing from storage" in queued.last_error
    assert mail.outbox == []
