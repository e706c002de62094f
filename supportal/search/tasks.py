"""One-off jobs of the search app, run by the Django Tasks worker (``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from supportal.search.index import search_index_rebuild


@task()
def search_index_rebuild_task(batch_size: int = 500) -> int:
    """Rebuild every ticket's search document in the background; returns the count."""
    return search_index_rebuild(batch_size=batch_size)
