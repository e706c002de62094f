"""``manage.py process_inbound``: process stored inbound mail now (the worker does it too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from supportal.mail.inbound import inbound_process_due, inbound_process_one, outcome_describe
from supportal.mail.models import InboundMessage, InboundState


class Command(BaseCommand):
    help = (
        "Process stored inbound e-mail that is waiting; --again also re-processes failed and "
        "quarantined messages; --id processes one message."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, dest="message_id", help="One stored message.")
        parser.add_argument(
            "--again", action="store_true", help="Also failed and quarantined messages."
        )

    def handle(self, *args: Any, message_id: int | None = None, again: bool = False, **options):
        if message_id is not None:
            ids = [message_id]
        elif again:
            ids = list(
                InboundMessage.objects.filter(
                    state__in=[InboundState.FAILED, InboundState.QUARANTINED]
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        else:
            ids = []
        for pk in ids:
            try:
                message = inbound_process_one(pk, again=again)
            except InboundMessage.DoesNotExist:
                self.stderr.write(f"#{pk}: no such stored message")
                continue
            self.stdout.write(f"#{pk}: {outcome_describe(message)}")
        total = 0
        while count := inbound_process_due(timezone.now()):
            total += count
        self.stdout.write(f"{total} waiting message(s) processed")
