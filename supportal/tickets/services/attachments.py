"""Files on a request: the size and name limits, and storing them."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.core.formats import file_size
from supportal.core.text import file_name_clean
from supportal.desks.models import (
    Desk,
)
from supportal.tickets.events import AttachmentAdded
from supportal.tickets.models import (
    Attachment,
    Comment,
    Ticket,
)
from supportal.tickets.previews import preview_kind
from supportal.tickets.services._common import _event


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach, from an upload form, an e-mail part or a test."""

    file: UploadedFile
    name: str = ""


def attachments_check(*, desk: Desk, files: Iterable[NewAttachment]) -> None:
    """Refuse a file over the desk's size or file-name limit, naming the limit and where large
    files go (docs/requirements.md#request-fields, F3). Changes nothing; interfaces call it
    before ``ticket_create`` or ``ticket_comment_add`` so the customer learns why."""
    hint = desk.large_files_hint or _("Ask the support team how to send larger files.")
    for item in files:
        name = file_name_clean(item.name or item.file.name or "")
        if len(name) > desk.attachment_name_max_length:
            raise InvalidInput(
                ngettext(
                    "The file name “%(name)s” has %(count)d character; file names are limited "
                    "to %(limit)d. Please rename the file.",
                    "The file name “%(name)s” has %(count)d characters; file names are limited "
                    "to %(limit)d. Please rename the file.",
                    len(name),
                )
                % {"name": name, "count": len(name), "limit": desk.attachment_name_max_length},
                field="attachments",
            )
        if not item.file.size:
            raise InvalidInput(_empty_message(name), field="attachments")
        if (item.file.size or 0) > desk.attachment_max_bytes:
            raise InvalidInput(
                _("“%(name)s” is %(size)s; files are limited to %(limit)s. %(hint)s")
                % {
                    "name": name,
                    "size": file_size(item.file.size),
                    "limit": file_size(desk.attachment_max_bytes),
                    "hint": hint,
                },
                field="attachments",
            )


def _storage_name(name: str) -> str:
    """The name the file is stored under: the shown name made safe for storage, or "file" when
    no character of it is (the shown name stays as sent; docs/security.md)."""
    try:
        return get_valid_filename(name)
    except SuspiciousFileOperation:
        return "file"


def _empty_message(name: str) -> str:
    return _(
        "“%(name)s” is empty (0 bytes), so it was not attached. Please choose the file again."
    ) % {"name": name}


def _attachments_add(
    ticket: Ticket,
    files: Iterable[NewAttachment],
    *,
    uploaded_by: User | None,
    comment: Comment | None,
    is_internal: bool,
    at: dt.datetime,
) -> list[Attachment]:
    added = []
    files = list(files)
    for item in files:
        # Every channel: an empty file is refused before anything is stored (mail drops them
        # with a note already, docs/security.md).
        if not item.file.size:
            raise InvalidInput(
                _empty_message(file_name_clean(item.name or item.file.name or "")),
                field="attachments",
            )
    for item in files:
        # The same cleaning on every channel: a mailed "invoice\u202efdp.exe" must not show as
        # "invoiceexe.pdf" (docs/security.md).
        name = file_name_clean(item.name or item.file.name or "")[:255]
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=uploaded_by,
            file_name=name,
            content_type=getattr(item.file, "content_type", "") or "",
            size=item.file.size or 0,
            is_internal=is_internal,
            created_at=at,
        )
        attachment.file.save(_storage_name(name), item.file, save=False)
        attachment.save()
        added.append(attachment)
        if preview_kind(name, attachment.content_type):
            # After commit, in the background: a rolled-back upload gets no preview job.
            transaction.on_commit(partial(_preview_enqueue, attachment.pk))
        _event(
            ticket,
            AttachmentAdded(attachment_id=attachment.pk, file_name=name),
            actor=uploaded_by,
            at=at,
            comment=comment,
            is_public=not is_internal,
        )
    return added


def _preview_enqueue(attachment_id: int) -> None:
    from supportal.tickets.tasks import attachment_preview_task

    try:
        attachment_preview_task.enqueue(attachment_id)
    except Exception:
        # The upload is done; a preview is a nicety and never fails it.
        logging.getLogger(__name__).warning(
            "preview of %s not queued", attachment_id, exc_info=True
        )
