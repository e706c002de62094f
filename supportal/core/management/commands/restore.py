"""``manage.py restore ARCHIVE``: bring a backup back into an empty installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportal.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by manage.py backup into an empty database and attachment"
        " storage; checksums are verified first and row counts compared after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The .tar file written by manage.py backup.")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(f"{archive}: no such file")
        try:
            manifest = backup_restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        files = sum(1 for name in manifest["members"] if name.startswith("files/"))
        self.stdout.write(
            f"Restored {len(manifest['tables'])} tables ({sum(manifest['tables'].values())} rows)"
            f" and {files} files from the backup of {manifest['created_at']}."
            " Next: manage.py migrate (if this release is newer), then start the services."
        )
