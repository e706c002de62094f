"""Encrypt every secret Supportal stores again with the first key of SUPPORTAL_SECRET_KEYS
(docs/security.md, "Stored secrets")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supportal.mail.mailboxes import mailbox_secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt the stored mailbox passwords with the first SUPPORTAL_SECRET_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = mailbox_secrets_rotate()
        self.stdout.write(f"{rotated} mailbox password(s) encrypted with the current key.")
