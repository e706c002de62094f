"""manage.py backup and restore: a populated installation comes back row for row and byte for
byte into a fresh database and attachment folder (docs/deploy.md, "Backups")."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from supportal.core.backup import storage_files, table_row_counts
from supportal.tickets import services

MANAGE = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py")]


def populate(cast) -> None:
    ticket = cast.ticket(
        attachments=[
            services.NewAttachment(
                file=SimpleUploadedFile("log.txt", b"line\n" * 1000, "text/plain")
            ),
            services.NewAttachment(
                file=SimpleUploadedFile("ecran.png", bytes(range(256)) * 64, "image/png")
            ),
        ]
    )
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Am deblocat contul.")
    cast.ticket(requester=cast.other_customer, summary="Factura lipsă")


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def target_database(tmp_path):
    """A fresh, empty database of the same vendor: its URL, and a function counting its rows."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"

        def count(tables):
            with sqlite3.connect(path) as db:
                return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608

        yield f"sqlite:///{path}", count
        return
    params = connection.settings_dict
    name = f"test_restore_{uuid.uuid4().hex[:10]}"
    conninfo = {
        "host": params["HOST"] or None,
        "port": params["PORT"] or None,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    url = f"postgres://{user}{password}@{host}/{name}"

    def count(tables):
        with psycopg.connect(dbname=name, **conninfo) as db:
            return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608

    try:
        yield url, count
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_row_and_file_into_a_fresh_installation(
    cast, tmp_path, settings, target_database
):
    settings.MEDIA_ROOT = tmp_path / "media"
    populate(cast)
    source_counts = table_row_counts()
    source_files = checksums(tmp_path / "media")
    assert len(source_files) == 2 and source_counts["tickets_ticket"] == 2

    archive = tmp_path / "backup.tar"
    call_command("backup", "--output", str(archive))
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert any(name.startswith("database.") for name in names)
    assert sorted(n for n in names if n.startswith("files/")) == sorted(
        f"files/{name}" for name in source_files
    )

    url, count_rows = target_database
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "SUPPORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "restore", str(archive)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stdout

    assert count_rows(source_counts) == source_counts  # every table, row for row
    assert checksums(tmp_path / "restored-media") == source_files  # every file, byte for byte

    # A second restore into the now populated installation is refused, and changes nothing.
    again = subprocess.run(  # noqa: S603
        [*MANAGE, "restore", str(archive)], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode != 0
    assert "refusing to restore" in again.stderr and "empty database" in again.stderr
    assert count_rows(source_counts) == source_counts


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_is_refused_before_anything_is_written(
    cast, tmp_path, settings, target_database
):
    settings.MEDIA_ROOT = tmp_path / "media"
    populate(cast)
    archive = tmp_path / "backup.tar"
    call_command("backup", "--output", str(archive))
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("files/") and member.name.endswith(".txt"):
                data = data.replace(b"line", b"LINE", 1)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    url, count_rows = target_database
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(tmp_path / "other-media"),
        "SUPPORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "restore", str(damaged)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "checksum mismatch; the archive is damaged" in result.stderr
    assert not (tmp_path / "other-media").exists()
    with pytest.raises(Exception, match=r"no such table|does not exist"):
        count_rows(["tickets_ticket"])  # nothing written to the database either
    assert list(storage_files(default_storage))  # the source is untouched
