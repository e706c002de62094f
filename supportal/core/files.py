"""How a permitted download leaves the server (docs/deploy.md, "Downloads").

Called by a view *after* its permission check. Object storage (S3-compatible): a redirect to a
presigned URL valid for ``SUPPORTAL_PRESIGNED_URL_SECONDS``, so the bytes never pass through
Python. Local storage behind nginx (``SUPPORTAL_SENDFILE=nginx``): an ``X-Accel-Redirect`` to the
internal location ``SUPPORTAL_SENDFILE_PREFIX``; behind Apache (``apache``): ``X-Sendfile``.
Files smaller than ``SUPPORTAL_SENDFILE_MIN_BYTES``, and every file without such a server,
stream from Python.
"""

from __future__ import annotations

from typing import Protocol, TypeGuard
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.http import content_disposition_header

DOWNLOAD_HEADERS = {
    # Always a download, never rendered by the browser: a customer's HTML or SVG file must not
    # run as our page.
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


class _PresigningStorage(Protocol):
    """What django-storages' S3 storage offers beside a ``Storage`` (the extra is optional)."""

    bucket_name: str

    def url(
        self, name: str, parameters: dict[str, str] | None = None, expire: int | None = None
    ) -> str: ...


def _is_object_storage(storage: Storage) -> TypeGuard[_PresigningStorage]:
    return hasattr(storage, "bucket_name")


def download_response(field_file: FieldFile, *, file_name: str) -> HttpResponseBase:
    disposition = content_disposition_header(True, file_name)
    name = field_file.name
    assert name is not None, field_file  # a stored file has a name
    storage = field_file.storage
    if _is_object_storage(storage):
        url = storage.url(
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": "application/octet-stream",
            },
            expire=settings.SUPPORTAL_PRESIGNED_URL_SECONDS,
        )
        response: HttpResponseBase = HttpResponseRedirect(url)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    mode = settings.SUPPORTAL_SENDFILE
    if mode and field_file.size >= settings.SUPPORTAL_SENDFILE_MIN_BYTES:
        response = HttpResponse(content_type="application/octet-stream")
        if mode == "nginx":
            response.headers["X-Accel-Redirect"] = settings.SUPPORTAL_SENDFILE_PREFIX + quote(name)
        else:
            response.headers["X-Sendfile"] = field_file.path
        response.headers["Content-Disposition"] = disposition
    else:
        response = FileResponse(field_file.open("rb"), as_attachment=True, filename=file_name)
        response.headers["Content-Type"] = "application/octet-stream"
    for header, value in DOWNLOAD_HEADERS.items():
        response.headers[header] = value
    return response
