"""Encrypt every secret Supportal stores again with the first key of SUPPORTAL_SECRET_KEYS
(docs/security.md, "Stored secrets")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supportal.mail.mailboxes import signin_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt the secrets of the mailboxes and outgoing accounts with the first"
        " SUPPORTAL_SECRET_KEYS key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = signin_secrets_rotate()
        for model, label in (("mailbox", "mailbox"), ("outgoingaccount", "outgoing account")):
            counts = rotated[model]
            oauth = sum(count for name, count in counts.items() if name != "password_encrypted")
            self.stdout.write(
                f"{counts['password_encrypted']} {label} password(s) and {oauth} OAuth2"
                " secret(s) encrypted with the current key."
            )
