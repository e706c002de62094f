"""Files a customer chose on a form that came back with an error.

A browser cannot re-fill a file input, so when a new request or a comment is refused for a
reason other than its files, the files that passed the limits are stored as *pending* under
``pending/<random>/`` in the default storage and listed on the page again, each with a ticked
box; the next submission attaches those still ticked. The list lives in the session, so a
pending file can be claimed only by the session that uploaded it. Abandoned files are removed
by the worker (``pending_uploads_sweep``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils import timezone

from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk
from supportal.tickets.services import NewAttachment, attachments_check

SESSION_KEY = "portal_pending_uploads"
FOLDER = "pending"
KEPT_DURATION = dt.timedelta(days=1)


@dataclass(frozen=True)
class PendingUpload:
    token: str
    name: str
    size: int
    content_type: str
    path: str


def _session_uploads(request: HttpRequest) -> dict[str, PendingUpload]:
    return {
        token: PendingUpload(**fields)
        for token, fields in request.session.get(SESSION_KEY, {}).items()
    }


def _session_keep(request: HttpRequest, uploads: dict[str, PendingUpload]) -> None:
    request.session[SESSION_KEY] = {token: asdict(item) for token, item in uploads.items()}


def pending_list(request: HttpRequest, tokens: Iterable[str]) -> list[PendingUpload]:
    """The pending files of this session that the form still asks for, in the given order."""
    stored = _session_uploads(request)
    found = []
    for token in dict.fromkeys(tokens):
        if token in stored:
            found.append(stored[token])
    return found


def pending_store(request: HttpRequest, files: Sequence[UploadedFile]) -> list[PendingUpload]:
    """Keep these uploads for the next submission of this session. Side effect: stored files."""
    stored = _session_uploads(request)
    kept = []
    for upload in files:
        token = secrets.token_urlsafe(16)
        name = (upload.name or "attachment").rsplit("/", 1)[-1]
        path = default_storage.save(f"{FOLDER}/{token}/{name}", upload)
        item = PendingUpload(
            token=token,
            name=name,
            size=upload.size or 0,
            content_type=getattr(upload, "content_type", "") or "",
            path=path,
        )
        stored[token] = item
        kept.append(item)
    _session_keep(request, stored)
    return kept


def pending_as_attachments(uploads: Sequence[PendingUpload]) -> list[NewAttachment]:
    """Open the stored files for a service; the caller closes them (``pending_close``)."""
    return [
        NewAttachment(
            file=UploadedFile(
                default_storage.open(item.path, "rb"),
                name=item.name,
                content_type=item.content_type,
                size=item.size,
            ),
            name=item.name,
        )
        for item in uploads
    ]


def pending_close(attachments: Sequence[NewAttachment]) -> None:
    for attachment in attachments:
        attachment.file.close()


def pending_discard(request: HttpRequest, uploads: Sequence[PendingUpload]) -> None:
    """Forget these pending files once attached (or dropped). Side effect: deleted files."""
    stored = _session_uploads(request)
    for item in uploads:
        stored.pop(item.token, None)
        default_storage.delete(item.path)
    _session_keep(request, stored)


def pending_uploads_sweep(now: dt.datetime | None = None) -> int:
    """Delete pending files older than a day (their sessions gave up). The worker runs this."""
    now = now or timezone.now()
    removed = 0
    if not default_storage.exists(FOLDER):
        return 0
    folders, _files = default_storage.listdir(FOLDER)
    for folder in folders:
        _subfolders, names = default_storage.listdir(f"{FOLDER}/{folder}")
        for name in names:
            path = f"{FOLDER}/{folder}/{name}"
            if now - default_storage.get_modified_time(path) > KEPT_DURATION:
                default_storage.delete(path)
                removed += 1
    return removed


@dataclass
class ChosenFiles:
    """The files of one submission: new uploads within the limits, pending ones still ticked,
    and the reasons the others were refused."""

    fresh: list[UploadedFile]
    kept: list[PendingUpload]
    errors: list[str]

    def open(self) -> list[NewAttachment]:
        return [NewAttachment(file=f) for f in self.fresh] + pending_as_attachments(self.kept)

    def keep_for_next_time(self, request: HttpRequest) -> None:
        """The submission was refused: store the new uploads so the page can offer them."""
        self.kept = [*self.kept, *pending_store(request, self.fresh)]
        self.fresh = []

    def done(self, request: HttpRequest) -> None:
        pending_discard(request, self.kept)


def files_chosen(request: HttpRequest, desk: Desk) -> ChosenFiles:
    """Read the form's files and check each against the desk's limits
    (docs/requirements.md#request-fields, F3)."""
    fresh: list[UploadedFile] = []
    errors: list[str] = []
    for upload in request.FILES.getlist("attachments"):
        try:
            attachments_check(desk=desk, files=[NewAttachment(file=upload)])
        except InvalidInput as exc:
            errors.append(exc.message)
        else:
            fresh.append(upload)
    kept = pending_list(request, request.POST.getlist("pending"))
    return ChosenFiles(fresh=fresh, kept=kept, errors=errors)
