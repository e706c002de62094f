"""``manage.py ensure_admin``: an administrator from the environment, for containers and first
installs. Idempotent: an existing account keeps its password (change it in the application)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.env import Env


class Command(BaseCommand):
    help = (
        "Create the administrator SUPPORTAL_ADMIN_EMAIL with SUPPORTAL_ADMIN_PASSWORD (or"
        " SUPPORTAL_ADMIN_PASSWORD_FILE) unless that account exists. Without the variables:"
        " nothing to do."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        env = Env()
        email = env.str("SUPPORTAL_ADMIN_EMAIL").strip()
        password = env.str("SUPPORTAL_ADMIN_PASSWORD")
        if not email:
            self.stdout.write("SUPPORTAL_ADMIN_EMAIL is not set: no administrator to create.")
            return
        users = get_user_model()._default_manager
        if users.filter(email__iexact=email).exists():
            self.stdout.write(f"Administrator {email} exists; left as it is.")
            return
        if not password:
            raise CommandError(
                "SUPPORTAL_ADMIN_PASSWORD (or SUPPORTAL_ADMIN_PASSWORD_FILE) is required to"
                f" create {email}"
            )
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(f"SUPPORTAL_ADMIN_PASSWORD: {' '.join(exc.messages)}") from None
        users.create_superuser(email=email, password=password)
        self.stdout.write(f"Created administrator {email}.")
