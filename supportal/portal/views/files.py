"""Permission-checked file downloads: never a public media URL."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBase

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import NotFound
from supportal.core.files import download_response
from supportal.tickets import previews, selectors


@login_required
def file_download(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponseBase:
    """Always a download, never rendered by the browser: a customer's HTML or SVG file must
    not run as our page."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    # After the permission check: streamed, handed to nginx, or a short-lived presigned URL.
    return download_response(attachment.file, file_name=attachment.file_name)


@login_required
def file_preview(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    """The PNG preview the background job made of an image or a PDF (404 until it exists),
    after the same permission check as the download."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    name = previews.preview_name(attachment.pk)
    storage = previews.preview_storage()
    if not storage.exists(name):
        raise Http404
    response = FileResponse(storage.open(name, "rb"), content_type="image/png")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
