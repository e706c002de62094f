"""Attachments on S3-compatible storage (django-storages) against moto's S3 server, started on a
free local port: uploads land in the bucket, downloads are presigned short-lived URLs handed out
only after the permission check (docs/deploy.md, "Static files and downloads")."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.tickets import services

BUCKET = "supportal-attachments"


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if not moto_server:
        pytest.skip("moto[server] is not installed (requirements/dev.txt has it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [moto_server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "moto did not start"
                time.sleep(0.2)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    return s3_endpoint


def test_attachments_live_in_the_bucket_and_download_by_presigned_url(client, cast, s3_storage):
    content = b"%PDF-1.7 factura " * 100
    ticket = cast.ticket(
        attachments=[
            services.NewAttachment(
                file=SimpleUploadedFile("factură.pdf", content, "application/pdf")
            )
        ]
    )
    attachment = ticket.attachments.get()
    assert (
        not Path(attachment.file.storage.location or "/nonexistent")
        .joinpath(attachment.file.name)
        .exists()
    )
    assert attachment.file.storage.exists(attachment.file.name)  # in the bucket

    client.force_login(cast.other_customer)
    assert client.get(reverse("portal:file", args=[attachment.pk])).status_code == 404

    client.force_login(cast.cristina)
    response = client.get(reverse("portal:file", args=[attachment.pk]))
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{s3_storage}/{BUCKET}/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"]  # short-lived
    with urllib.request.urlopen(url, timeout=10) as download:  # noqa: S310
        assert download.read() == content
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["Content-Type"] == "application/octet-stream"
    # Without the signature the bucket refuses.
    bare = url.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bare, timeout=10)  # noqa: S310
    assert refused.value.code == 403


def test_readyz_checks_the_bucket(client, db, s3_storage, settings):
    settings.SUPPORTAL_OPS_TOKEN = "t"
    checks = client.get("/readyz", HTTP_AUTHORIZATION="Bearer t").json()["checks"]
    assert checks["storage"] == {"ok": True, "detail": "S3Storage"}
