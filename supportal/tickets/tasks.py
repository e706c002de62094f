"""One-off jobs of the tickets app, run by the Django Tasks worker (``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from supportal.tickets.previews import attachment_preview_make


@task()
def attachment_preview_task(attachment_id: int) -> bool:
    """Make the preview of an attached image or PDF (docs/workspace.md#attachment-previews)."""
    return attachment_preview_make(attachment_id)
