"""Files of failed uploads are removed after the grace period; referenced files never are
(core/orphans.py, docs/security.md "Files"). On the real storages: the file system and an
S3 bucket (moto's server)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from supportal.core import jobs
from supportal.core.orphans import orphan_files_sweep
from supportal.core.tests.test_s3 import s3_endpoint, s3_storage  # noqa: F401 (fixtures)
from supportal.mail.models import OutboundEmail
from supportal.tickets import services
from supportal.tickets.models import Attachment


class RequestFailed(Exception):
    pass


def _upload(name: str, content: bytes = b"%PDF-1.7 data") -> services.NewAttachment:
    return services.NewAttachment(file=SimpleUploadedFile(name, content, "application/pdf"))


def _failed_comment(ticket, author, name: str) -> None:
    """A request that stored its file, then failed: the transaction rolls back, the file stays."""
    with pytest.raises(RequestFailed), transaction.atomic():
        services.ticket_comment_add(
            ticket=ticket, author=author, body="see attached", attachments=[_upload(name)]
        )
        raise RequestFailed


def _stored_names(storage, folder: str) -> set[str]:
    found: set[str] = set()
    subfolders, names = storage.listdir(folder)
    found.update(f"{folder}/{name}" for name in names)
    for sub in subfolders:
        found |= _stored_names(storage, f"{folder}/{sub}")
    return found


def _orphans_and_keepers(cast):
    ticket = cast.ticket(attachments=[_upload("kept.pdf")])
    kept = ticket.attachments.get()
    storage = kept.file.storage
    before = _stored_names(storage, "attachments")
    _failed_comment(ticket, cast.cristina, "lost.pdf")
    _failed_comment(ticket, cast.cristina, "lost-too.pdf")
    orphans = _stored_names(storage, "attachments") - before
    assert len(orphans) == 2 and not Attachment.objects.filter(file__in=orphans).exists()
    return kept, storage, orphans


def _check_sweep(cast):
    kept, storage, orphans = _orphans_and_keepers(cast)
    # An orphan that unsent mail will attach is kept too.
    mailed = sorted(orphans)[0]
    now = timezone.now()
    OutboundEmail.objects.create(
        to=["cristina@example.com"],
        from_email="support@example.com",
        subject="s",
        body_text="b",
        message_id="<orphan-test@example.com>",
        attachments=[{"path": mailed, "name": "lost.pdf"}],
        next_attempt_at=now,
    )

    # Within the grace period nothing goes: the upload may belong to a transaction still open.
    assert orphan_files_sweep(now=now + dt.timedelta(hours=23)) == 0
    assert all(storage.exists(path) for path in orphans)

    assert orphan_files_sweep(now=now + dt.timedelta(hours=25)) == 1
    assert not storage.exists(sorted(orphans)[1])
    assert storage.exists(mailed)
    with kept.file.open("rb") as stream:
        assert stream.read() == b"%PDF-1.7 data"  # the referenced file, untouched
    assert orphan_files_sweep(now=now + dt.timedelta(hours=25)) == 0


def test_failed_uploads_are_removed_from_the_file_system_after_the_grace_period(
    cast, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    _check_sweep(cast)


def test_failed_uploads_are_removed_from_the_bucket_after_the_grace_period(cast, s3_storage):  # noqa: F811
    _check_sweep(cast)


def test_the_worker_runs_the_sweep_a_few_times_a_day():
    job = jobs.registry.periodics["core.orphan_files_sweep"]
    assert job.every == dt.timedelta(hours=6)


def test_a_missing_folder_is_nothing_to_sweep(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "empty")
    assert orphan_files_sweep() == 0


# --- Temporary files of uploads a killed web process left ---------------------------------------

KILLED_MID_UPLOAD = """
import os, signal, django
django.setup()
from django.core.files.uploadedfile import TemporaryUploadedFile
upload = TemporaryUploadedFile("salary-list.xlsx", "application/octet-stream", 0, None)
upload.write(b"half of a large file")
upload.flush()
print(upload.temporary_file_path(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the web process dies before its request ends
"""


@pytest.mark.slow  # a subprocess
def test_a_killed_web_processs_upload_file_is_removed_after_an_hour(settings, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings as django_settings

    from supportal.core.management.commands.run_web import prepare
    from supportal.core.orphans import upload_temp_files_sweep
    from supportal.core.tests.test_jobs import child_env

    child = subprocess.run(  # noqa: S603 — our interpreter, a fixed script
        [sys.executable, "-c", KILLED_MID_UPLOAD],
        cwd=django_settings.BASE_DIR,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -9, child.stderr
    left = Path(child.stdout.strip())
    assert left.parent == tmp_path / "uploads"  # SUPPORTAL_VAR_DIR/uploads, not the system's
    assert left.exists()

    settings.FILE_UPLOAD_TEMP_DIR = left.parent
    running = left.parent / "tmpfresh.upload.pdf"  # a request still receiving its file
    running.write_bytes(b"still coming")
    other = left.parent / "notes.txt"  # not an upload's: never touched
    other.write_bytes(b"x")
    an_hour_ago = dt.datetime.now().timestamp() - 3700
    for path in (left, other):
        os.utime(path, (an_hour_ago, an_hour_ago))

    assert upload_temp_files_sweep() == 1
    assert not left.exists() and running.exists() and other.exists()
    assert upload_temp_files_sweep() == 0

    # A web host without a worker: run_web clears them when it starts.
    os.utime(running, (an_hour_ago, an_hour_ago))
    settings.SUPPORTAL_STATIC_MANIFEST = False
    prepare()
    assert not running.exists() and other.exists()


def test_the_worker_clears_upload_files_every_hour():
    job = jobs.registry.periodics["core.upload_temp_files_sweep"]
    assert job.every == dt.timedelta(hours=1)
