"""Encrypt every secret Supportal stores again with the first key of SUPPORTAL_SECRET_KEYS
(docs/security.md, "Stored secrets")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supportal.mail.mailboxes import mailbox_secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt the mailboxes' stored secrets with the first SUPPORTAL_SECRET_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = mailbox_secrets_rotate()
        oauth = sum(count for name, count in rotated.items() if name != "password_encrypted")
        self.stdout.write(
            f"{rotated['password_encrypted']} mailbox password(s) and {oauth} OAuth2 secret(s)"
            " encrypted with the current key."
        )
