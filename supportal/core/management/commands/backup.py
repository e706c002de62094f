"""``manage.py backup``: the database and every attachment in one checked archive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportal.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one archive with the database (SQLite online backup or pg_dump -Fc), every"
        " attachment, and a manifest with row counts and checksums. docs/deploy.md: Backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="Archive path (default: SUPPORTAL_VAR_DIR/backups/supportal-<UTC time>.tar).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or str(
            Path(settings.VAR_DIR)
            / "backups"
            / f"supportal-{datetime.now(tz=UTC):%Y%m%dT%H%M%SZ}.tar"
        )
        if Path(output).exists():
            raise CommandError(f"{output} already exists; choose another --output")
        try:
            result = backup_create(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backed up {result.tables} tables ({result.rows} rows) and {result.files} files"
            f" to {result.path}"
        )
