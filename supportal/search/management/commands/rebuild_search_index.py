"""``manage.py rebuild_search_index``: recompute every ticket's search document."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportal.search.index import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index of every ticket, in batches. Safe to run at any time, e.g."
        " after restoring a backup or changing how documents are built."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Tickets per transaction (500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = search_index_rebuild(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"Indexed {count} tickets.")
