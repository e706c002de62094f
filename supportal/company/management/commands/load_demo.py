"""manage.py load_demo: the demo of the reference story (docs/requirements.md#story) with the
site's language and support line. Running it twice changes nothing. It lives in company, the
highest layer whose data it fills."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from supportal.company.demo import support_line_fill
from supportal.tickets.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo desk, company, people and requests (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Say nothing more than the log-ins when the demo is already there.",
        )

    def handle(self, *args: object, once: bool = False, **options: object) -> None:
        loaded = demo_load(settings_fill=support_line_fill)
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo loaded: desk HELP, request HELP-161."))
        elif not once:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.stdout.write(f"\nSupportal on {settings.SUPPORTAL_BASE_URL}/ — demo log-ins:")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<28} {login.email:<34} password {DEMO_PASSWORD}")
        self.stdout.write(f"  agent workspace: {settings.SUPPORTAL_BASE_URL}/agent/")
