"""Previews of attached images and PDFs: made in the background job queue, served only
after the download's permission check."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from supportal.tickets import previews, services
from supportal.tickets.models import Attachment


def png_bytes(size=(1200, 800), colour=(200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    out = BytesIO()
    Image.new("RGB", (600, 800), (30, 30, 200)).save(out, format="PDF")
    return out.getvalue()


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    storages = dict(settings.STORAGES)
    storages["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    settings.STORAGES = storages


def _attach(cast, ticket, name, data, content_type):
    return services.ticket_comment_add(
        ticket=ticket,
        author=cast.cristina,
        body="see the file",
        attachments=[
            services.NewAttachment(file=SimpleUploadedFile(name, data, content_type=content_type))
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_png_and_pdf_get_previews_from_the_job_queue(
    cast, client, immediate_tasks, media
):
    ticket = cast.ticket()
    _attach(cast, ticket, "screenshot.png", png_bytes(), "image/png")
    _attach(cast, ticket, "invoice.pdf", pdf_bytes(), "application/pdf")
    _attach(cast, ticket, "notes.txt", b"plain text", "text/plain")
    png, pdf, text = Attachment.objects.order_by("pk")

    assert previews.preview_exists(png.pk) and previews.preview_exists(pdf.pk)
    assert not previews.preview_exists(text.pk)

    client.force_login(cast.agent_help)
    for attachment in (png, pdf):
        response = client.get(f"/files/{attachment.pk}/preview/")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        picture = Image.open(BytesIO(b"".join(response.streaming_content)))
        assert max(picture.size) <= 480
    assert client.get(f"/files/{text.pk}/preview/").status_code == 404
    html = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert f'src="/files/{png.pk}/preview/"' in html
    assert f'src="/files/{pdf.pk}/preview/"' in html

    # The same permission as the download: another desk's agent gets nothing.
    client.force_login(cast.agent_dev)
    assert client.get(f"/files/{png.pk}/preview/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_broken_or_oversized_picture_gets_no_preview_and_stays_downloadable(
    cast, immediate_tasks, media, monkeypatch
):
    ticket = cast.ticket()
    _attach(cast, ticket, "broken.png", b"\x89PNG not really", "image/png")
    monkeypatch.setattr(previews, "MAX_PIXELS", 1000)
    _attach(cast, ticket, "huge.png", png_bytes(size=(2000, 2000)), "image/png")
    broken, huge = Attachment.objects.order_by("pk")
    assert not previews.preview_exists(broken.pk)
    assert not previews.preview_exists(huge.pk)
    assert broken.file.size > 0


def test_an_upload_queues_its_preview_after_commit(cast, django_capture_on_commit_callbacks):
    ticket = cast.ticket()
    with django_capture_on_commit_callbacks() as callbacks:
        _attach(cast, ticket, "screenshot.png", png_bytes(), "image/png")
        _attach(cast, ticket, "notes.txt", b"text", "text/plain")
    assert len([c for c in callbacks if getattr(c, "func", None) is not None]) == 1
