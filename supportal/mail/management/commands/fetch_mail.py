"""``manage.py fetch_mail``: fetch unseen mail from the IMAP mailboxes, store and process it.

Mailboxes come from SUPPORTAL_IMAP_MAILBOXES (see supportal/mail/imap.py), or one ``--url``.
The worker also runs this every minute when mailboxes are configured.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportal.mail.imap import mailbox_fetch, mailbox_parse, mailboxes_configured
from supportal.mail.inbound import inbound_process_one, outcome_describe


class Command(BaseCommand):
    help = "Fetch unseen mail from the configured IMAP mailboxes, then process it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="One mailbox URL instead of SUPPORTAL_IMAP_MAILBOXES.")

    def handle(self, *args: Any, url: str | None = None, **options: Any) -> None:
        mailboxes = [mailbox_parse(url)] if url else mailboxes_configured()
        if not mailboxes:
            raise CommandError("No mailboxes: set SUPPORTAL_IMAP_MAILBOXES or pass --url.")
        failed = False
        for mailbox in mailboxes:
            try:
                ids = mailbox_fetch(mailbox)
            except Exception as exc:
                failed = True
                self.stderr.write(f"{mailbox}: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(f"{mailbox}: {len(ids)} message(s) stored")
            for pk in ids:
                self.stdout.write(f"#{pk}: {outcome_describe(inbound_process_one(pk))}")
        if failed:
            raise CommandError("Some mailboxes could not be fetched.")
