"""One-archive backups and their restore into an empty installation (docs/deploy.md, "Backups").

The archive is a tar file holding:

- ``database.sqlite3`` (SQLite, copied through its online backup API, so a database in WAL mode
  being written meanwhile is copied consistently) or ``database.pgdump`` (``pg_dump -Fc``);
- ``files/<name>``: every file in the attachment storage (local folder or object storage);
- ``manifest.json``: when, from which database vendor, the row count of every table, and the
  size and SHA-256 of every other member — checked before anything is restored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage`` under ``folder``, depth first, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_files(storage, f"{folder}/{sub}" if folder else sub)


def table_row_counts(alias: str = "default") -> dict[str, int]:
    """Rows in every table of the database ``alias`` (what a restore is compared with)."""
    db = connections[alias]
    counts = {}
    with db.cursor() as cursor:
        for table in sorted(db.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {db.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password travels in the environment."""
    args = ["--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return args, env


def _dump_database(target_dir: Path) -> str:
    vendor = connection.vendor
    if vendor == "sqlite":
        out = target_dir / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(out)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        return out.name
    if vendor == "postgresql":
        out = target_dir / "database.pgdump"
        args, env = _pg_env(connection.settings_dict)
        command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(out), *args]
        try:
            subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        except FileNotFoundError:
            raise BackupError("pg_dump is not installed (Debian: postgresql-client)") from None
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_dump failed: {exc.stderr.strip()}") from None
        return out.name
    raise BackupError(f"backups of a {vendor} database are not supported")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tables: int
    rows: int
    files: int


def backup_create(output: Path, *, storage: Storage | None = None) -> BackupResult:
    """Write the archive to ``output`` (a new file). Side effects: reads the whole database and
    attachment storage; writes ``output`` (through a temporary name, renamed when complete)."""
    storage = storage or default_storage
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="supportal-backup-", dir=output.parent) as work:
        work_dir = Path(work)
        database_member = _dump_database(work_dir)
        counts = table_row_counts()
        members = {
            database_member: {
                "size": (work_dir / database_member).stat().st_size,
                "sha256": _sha256(work_dir / database_member),
            }
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(work_dir / database_member, arcname=database_member)
            for name in storage_files(storage):
                digest = hashlib.sha256()
                with storage.open(name, "rb") as source, tempfile.TemporaryFile() as copy:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        digest.update(block)
                        copy.write(block)
                    size = copy.tell()
                    copy.seek(0)
                    info = tarfile.TarInfo(f"files/{name}")
                    info.size = size
                    info.mtime = int(datetime.now(tz=UTC).timestamp())
                    archive.addfile(info, copy)
                members[f"files/{name}"] = {"size": size, "sha256": digest.hexdigest()}
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(tz=UTC).isoformat(),
                "vendor": connection.vendor,
                "database": database_member,
                "tables": counts,
                "members": members,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        partial.replace(output)
    return BackupResult(
        path=output,
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(members) - 1,
    )


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise BackupError("not a Supportal backup: the archive has no manifest.json") from None
    handle = archive.extractfile(member)
    assert handle is not None
    manifest = json.load(handle)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _is_empty_installation(storage: Storage) -> str:
    """Why the installation is not empty, or "" when it is."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if tables:
        return (
            f"the database {connection.settings_dict['NAME']!r} already has {len(tables)} tables;"
            " restore into a new, empty database"
        )
    first_file = next(storage_files(storage), None)
    if first_file:
        return f"the attachment storage already holds files (e.g. {first_file!r}); use an empty one"
    return ""


def backup_restore(archive_path: Path, *, storage: Storage | None = None) -> dict[str, Any]:
    """Restore ``archive_path`` into this (empty) installation; returns the manifest.

    Every member's checksum is verified before anything is written. Side effects: fills the
    database and the attachment storage.
    """
    storage = storage or default_storage
    with tarfile.open(archive_path, "r") as archive:
        manifest = _read_manifest(archive)
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"this backup is of a {manifest['vendor']} database; this installation uses"
                f" {connection.vendor}"
            )
        reason = _is_empty_installation(storage)
        if reason:
            raise BackupError(f"refusing to restore: {reason}")
        with tempfile.TemporaryDirectory(prefix="supportal-restore-") as work:
            work_dir = Path(work)
            for name, expected in manifest["members"].items():
                member = archive.getmember(name)
                handle = archive.extractfile(member)
                assert handle is not None
                target = work_dir / "m" / hashlib.sha256(name.encode()).hexdigest()
                target.parent.mkdir(exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(handle, out)
                if _sha256(target) != expected["sha256"]:
                    raise BackupError(f"{name}: checksum mismatch; the archive is damaged")
            database_file = (
                work_dir / "m" / hashlib.sha256(manifest["database"].encode()).hexdigest()
            )
            _restore_database(database_file)
            for name in manifest["members"]:
                if not name.startswith("files/"):
                    continue
                stored_name = name.removeprefix("files/")
                source = work_dir / "m" / hashlib.sha256(name.encode()).hexdigest()
                with source.open("rb") as handle:
                    saved = storage.save(stored_name, File(handle))
                if saved != stored_name:
                    raise BackupError(f"{stored_name}: the storage saved it as {saved!r}")
    counts = table_row_counts()
    differing = {
        table: (rows, counts.get(table))
        for table, rows in manifest["tables"].items()
        if counts.get(table) != rows
    }
    if differing:
        raise BackupError(f"restored row counts differ from the backup's: {differing}")
    return manifest


def _restore_database(dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
        return
    args, env = _pg_env(connection.settings_dict)
    connection.close()
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(dump)]
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError("pg_restore is not installed (Debian: postgresql-client)") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"pg_restore failed: {exc.stderr.strip()}") from None
