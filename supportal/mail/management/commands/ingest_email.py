"""``manage.py ingest_email``: store one raw message read from standard input, then process it.

For mail servers that pipe mail to a program (Postfix ``pipe``, Exim, procmail). The exit code is
what such servers understand: 0 once the message is stored, 75 (EX_TEMPFAIL) when it could not
be stored, so the mail server keeps it and retries.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportal.mail.inbound import inbound_process_one, inbound_store, outcome_describe
from supportal.mail.models import InboundChannel

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one e-mail message read from standard input (exit 75 if it cannot be stored)."
    # Storing must not depend on unrelated checks passing: the mail server is waiting.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--desk", default="", help="Desk key whose mailbox received it.")
        parser.add_argument("--sender", default="", help="Envelope sender, if known.")

    def handle(self, *args: Any, desk: str = "", sender: str = "", **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        try:
            stored = inbound_store(
                raw, channel=InboundChannel.STDIN, envelope_from=sender, mailbox=desk.upper()
            )
        except Exception as exc:
            self.stderr.write(f"not stored, the mail server should retry: {exc}")
            sys.exit(EX_TEMPFAIL)
        message = stored.message
        message_id = message.message_id or "(no Message-ID)"
        if not stored.is_new:
            # Its outcome was told when it first came; telling it again reads like a duplicate.
            self.stdout.write(f"already stored as #{message.pk} {message_id}; nothing new")
            return
        self.stdout.write(f"stored as #{message.pk} {message_id}")
        # Stored is what the mail server needs to hear; processing now tells the person piping
        # the mail what became of it. A processing failure is kept on the row (state failed)
        # for an administrator, and still exits 0: the message is safe.
        try:
            message = inbound_process_one(message.pk)
        except Exception as exc:
            self.stdout.write(f"stored, processing deferred to the worker: {exc}")
            return
        self.stdout.write(outcome_describe(message))
