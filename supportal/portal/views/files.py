"""Permission-checked file downloads: never a public media URL."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import NotFound
from supportal.core.files import download_response
from supportal.tickets import selectors


@login_required
def file_download(request: AuthenticatedHttpRequest, attachment_id: int) -> HttpResponse:
    """Always a download, never rendered by the browser: a customer's HTML or SVG file must
    not run as our page."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    # After the permission check: streamed, handed to nginx, or a short-lived presigned URL.
    return download_response(attachment.file, file_name=attachment.file_name)
