"""Give SLA clocks to requests created before the SLA engine was installed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from supportal.sla.services import tickets_backfill


class Command(BaseCommand):
    help = (
        "Replay the events of requests that have no SLA clocks yet, so their deadlines are known. "
        "Warnings and breaches already past are not announced."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = tickets_backfill()
        self.stdout.write(f"Backfilled {count} request(s).")
