"""Stored files that no row references, removed after a grace period (docs/security.md, "Files").

A file is written to storage before its row is committed (``FileField.save`` then
``Model.save`` inside the service's transaction). When the transaction rolls back — a refused
request, a lost database connection, a web process killed mid-request — or an admin form
replaces a file, the file stays in storage with no row pointing at it. Apps name the folders
they own with :func:`register_file_folder`; the worker runs :func:`orphan_files_sweep` now and
then and deletes each file of those folders that no row references and that is older than
``SUPPORTAL_ORPHAN_FILE_GRACE_HOURS`` (a file younger than that may belong to a transaction
still running). A referenced file is never touched: the reference is read again just before
each delete, and paths that other rows hold (unsent mail's attachments, registered with
:func:`register_file_referrer`) count as referenced too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.utils import timezone

logger = logging.getLogger("supportal.files")

BATCH_SIZE = 500


@dataclass(frozen=True)
class FileFolder:
    """Every file under ``folder`` (of the field's storage) belongs to ``model.field``."""

    folder: str
    model: str
    field: str

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def storage(self) -> Storage:
        field = self.model_class()._meta.get_field(self.field)
        assert isinstance(field, models.FileField)
        return field.storage

    def referenced(self, paths: list[str]) -> set[str]:
        """Those of ``paths`` that some row's field holds."""
        rows = self.model_class()._default_manager.filter(**{f"{self.field}__in": paths})
        return set(rows.values_list(self.field, flat=True))


folders: dict[str, FileFolder] = {}
referrers: dict[str, Callable[[], set[str]]] = {}


def register_file_folder(folder: str, *, model: str, field: str) -> None:
    """Say that every file under ``folder`` is ``model.field``'s (an app's ``ready()``)."""
    folders[folder] = FileFolder(folder=folder.strip("/"), model=model, field=field)


def register_file_referrer(name: str, paths: Callable[[], set[str]]) -> None:
    """``paths()`` names stored files that rows other than their owners still need."""
    referrers[name] = paths


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    """Every file's name under ``folder``, depth first; nothing when the folder is missing."""
    try:
        subfolders, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{folder}/{name}"
    for subfolder in subfolders:
        yield from _walk(storage, f"{folder}/{subfolder}")


def _batches(paths: Iterator[str]) -> Iterator[list[str]]:
    while batch := list(islice(paths, BATCH_SIZE)):
        yield batch


def _is_old(storage: Storage, path: str, *, older_than: datetime) -> bool:
    try:
        return storage.get_modified_time(path) < older_than
    except FileNotFoundError:
        return False  # gone meanwhile


def folder_sweep(
    owner: FileFolder, *, older_than: datetime, held: frozenset[str] = frozenset()
) -> int:
    """Delete the files of ``owner``'s folder that no row references, that are not in
    ``held`` and that were last written before ``older_than``. Returns how many were deleted."""
    storage = owner.storage()
    removed = 0
    for batch in _batches(_walk(storage, owner.folder)):
        referenced = owner.referenced(batch)
        for path in batch:
            if (
                path in referenced
                or path in held
                or not _is_old(storage, path, older_than=older_than)
            ):
                continue
            # Read again right before deleting: never a file a row holds.
            if owner.referenced([path]):
                continue
            storage.delete(path)
            logger.info("removed %s: no %s refers to it", path, owner.model)
            removed += 1
    return removed


def orphan_files_sweep(now: datetime | None = None) -> int:
    """Run :func:`folder_sweep` over every registered folder. The worker runs this."""
    now = now or timezone.now()
    older_than = now - timedelta(hours=settings.SUPPORTAL_ORPHAN_FILE_GRACE_HOURS)
    held = frozenset().union(*(paths() for paths in list(referrers.values())))
    return sum(
        folder_sweep(owner, older_than=older_than, held=held) for owner in list(folders.values())
    )


# --- Temporary files of uploads (Django's ``TemporaryUploadedFile``) ---------------------------

# Django writes an upload's temporary file while the request runs and deletes it when the request
# ends; the web server's timeout (run_web: 60 s) ends any request long before this.
UPLOAD_TEMP_GRACE = timedelta(hours=1)


def upload_temp_files_sweep(now: datetime | None = None) -> int:
    """Delete the temporary upload files (``*.upload*``) of ``FILE_UPLOAD_TEMP_DIR`` not written
    for ``UPLOAD_TEMP_GRACE``: what a web process killed mid-upload left behind. Other files of
    the folder are never touched. Returns how many were deleted. Side effect: the file system."""
    folder = settings.FILE_UPLOAD_TEMP_DIR
    if not folder:
        return 0  # the system's temporary folder is not ours to clear
    older_than = ((now or timezone.now()) - UPLOAD_TEMP_GRACE).timestamp()
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if ".upload" not in entry.name or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= older_than:
                continue  # an upload still being written, or its request still running
            os.unlink(entry.path)
        except FileNotFoundError:
            continue  # its request ended meanwhile and Django removed it
        logger.info("removed %s: the temporary file of an upload that never finished", entry.path)
        removed += 1
    return removed
