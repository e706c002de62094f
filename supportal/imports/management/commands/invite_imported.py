"""``manage.py invite_imported SOURCE``: invite the customers an import brought, when the firm
is ready (docs/import.md#people). The import itself invites no one."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandParser

from supportal.accounts.models import User
from supportal.accounts.services import customer_invite
from supportal.core.errors import DomainError
from supportal.imports.models import ImportedKind, ImportedObject


class Command(BaseCommand):
    help = (
        "Send the portal invitation to the customers imported from SOURCE (e.g. "
        "freshdesk:acme.freshdesk.com) who have no password yet. Agents, inactive (deleted) "
        "people and those invited recently are left out; running it again invites no one twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="The source name the import printed.")
        parser.add_argument("--dry-run", action="store_true", help="Count only.")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = ImportedObject.objects.filter(
            source=options["source"],
            kind=ImportedKind.PERSON,
            content_type=ContentType.objects.get_for_model(User),
        ).values("object_id")
        people = User.objects.filter(
            pk__in=ids, is_agent=False, is_active=True, is_company_account=False
        ).order_by("pk")
        invited = 0
        for user in people.iterator():
            if user.has_usable_password():
                continue
            if options["dry_run"]:
                invited += 1
                continue
            try:
                before = user.invited_at
                user = customer_invite(email=user.email, invited_by=None)
            except DomainError as exc:
                self.stderr.write(f"{user.email}: {exc}")
                continue
            invited += user.invited_at != before
        verb = "Would invite" if options["dry_run"] else "Invited"
        self.stdout.write(f"{verb} {invited} customer(s).")
