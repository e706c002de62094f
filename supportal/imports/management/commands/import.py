"""``manage.py import SOURCE …``: move a firm's history in (docs/import.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from supportal.core.errors import DomainError
from supportal.desks.models import Desk
from supportal.imports.http import SourceError
from supportal.imports.mapping import desks_resolve, pairs_parse
from supportal.imports.run import import_run, priorities_parse, statuses_parse
from supportal.imports.sources import SOURCES, source_build


class Command(BaseCommand):
    help = (
        "Import requests, people, companies, conversations, files and status history from "
        "another helpdesk. Run with --dry-run first: it reports what would be created, mapped "
        "and skipped and writes nothing. Running again imports only what is new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted(SOURCES), help="The system to import from.")
        parser.add_argument("--desk", required=True, help="Key of the desk to import into.")
        parser.add_argument(
            "--url",
            default="",
            help="The source's address (https://…; osTicket: mysql://USER:PASSWORD@HOST:PORT/DB; "
            "django-helpdesk: sqlite:////PATH, postgres://… or mysql://…).",
        )
        self._database_arguments(parser)
        self._csv_arguments(parser)
        parser.add_argument("--api-key", default="", help="Freshdesk: the API key.")
        parser.add_argument("--user", default="", help="Jira: the user (e-mail on Cloud).")
        parser.add_argument(
            "--token", default="", help="Jira: the API token or password; Zammad: the access token."
        )
        parser.add_argument("--project", default="", help="Jira: the project key (HELP).")
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            metavar="NAME=STATUS",
            help="Map a source status to a Supportal status (repeatable), e.g. "
            "'Escalated=in_progress'.",
        )
        parser.add_argument(
            "--priority",
            action="append",
            default=[],
            metavar="NAME=PRIORITY",
            help="Map a source priority to a Supportal priority by name (repeatable), e.g. "
            "'Medium=Normal'; by default the priority of the same name.",
        )
        parser.add_argument(
            "--desk-map",
            action="append",
            default=[],
            metavar="GROUP=DESK",
            help="Import a source group's (Freshdesk) or project's (Jira) requests into another "
            "desk, by its key (repeatable), e.g. 'Suport EDI=EDI'; the others go to --desk.",
        )
        parser.add_argument(
            "--type-map",
            action="append",
            default=[],
            metavar="NAME=TYPE",
            help="Map a source request type to one of the desk's request types by name "
            "(repeatable); by default the type of the same name.",
        )
        parser.add_argument(
            "--keep-numbers",
            action="store_true",
            help="Keep the source's ticket numbers as reference numbers (Freshdesk).",
        )
        parser.add_argument("--requests", type=int, default=100, help="generated: how many.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def _csv_arguments(self, parser: CommandParser) -> None:
        """The options of Jira's CSV export (docs/import.md#jiras-csv-export)."""
        parser.add_argument("--file", default="", help="jira-csv: the CSV file Jira exported.")
        parser.add_argument(
            "--agent-comments-public",
            action="store_true",
            help="jira-csv: the agents' comments are public (the export does not say; by "
            "default they become internal notes).",
        )
        parser.add_argument(
            "--agent",
            action="append",
            default=[],
            metavar="NAME",
            help="jira-csv: someone who is an agent although the export does not show it "
            "(repeatable; assignees and resolvers are agents).",
        )
        parser.add_argument(
            "--people", default="", help="jira-csv: a CSV file of name,email rows (addresses)."
        )
        parser.add_argument(
            "--time-zone", default="UTC", help="jira-csv: the zone the export's times are in."
        )

    def _database_arguments(self, parser: CommandParser) -> None:
        """The options of the sources read from a database (osTicket, django-helpdesk)."""
        parser.add_argument(
            "--table-prefix", default="ost_", help="osTicket: the tables' prefix (ost_)."
        )
        parser.add_argument(
            "--files-dir",
            default="",
            help="osTicket: the folder of files kept on disk; django-helpdesk: its MEDIA_ROOT.",
        )
        parser.add_argument(
            "--queue",
            action="append",
            default=[],
            help="django-helpdesk: the slug of a queue to import (repeatable; all when absent).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        desk = Desk.objects.filter(key=options["desk"].upper()).first()
        if desk is None:
            raise CommandError(f"There is no desk {options['desk']}.")
        try:
            source = source_build(options["source"], options)
            statuses = statuses_parse(options["status"], source.statuses)
            priorities = priorities_parse(options["priority"])
            desks = desks_resolve(pairs_parse(options["desk_map"], option="desk_map"))
            types = pairs_parse(options["type_map"], option="type_map")
        except (DomainError, ValueError, SourceError) as exc:
            raise CommandError(str(exc)) from exc
        run = lambda: import_run(  # noqa: E731
            source,
            desk=desk,
            statuses=statuses,
            dry_run=options["dry_run"],
            keep_numbers=options["keep_numbers"],
            priorities=priorities,
            desks=desks,
            types=types,
            progress_to=None if options["no_progress"] else sys.stderr,
        )
        try:
            if options["dry_run"]:
                # Nothing is written in a dry run; the transaction makes sure of it.
                with transaction.atomic():
                    report = run()
                    transaction.set_rollback(True)
            else:
                report = run()
        except SourceError as exc:  # what came before it is kept; running again continues
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
