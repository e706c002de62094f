"""Permission-checked file downloads: never a public media URL."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import NotFound
from supportal.tickets import selectors


@login_required
def file_download(request: AuthenticatedHttpRequest, attachment_id: int) -> FileResponse:
    """Always a download, never rendered by the browser: a customer's HTML or SVG file must
    not run as our page."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.file_name
    )
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
