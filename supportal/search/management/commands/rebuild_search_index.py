"""``manage.py rebuild_search_index``: recompute every ticket's search document."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportal.search.index import search_index_rebuild
from supportal.search.tasks import search_index_rebuild_task


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every ticket, in batches. Safe to run at any time, e.g."
        " after restoring a backup or changing how documents are built."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Tickets per transaction (500)."
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Queue the rebuild for the task worker instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["background"]:
            result = search_index_rebuild_task.enqueue(batch_size=max(1, options["batch_size"]))
            self.stdout.write(f"Queued as task {result.id}.")
            return
        count = search_index_rebuild(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"Indexed {count} tickets.")
