"""Reads that may lag a little go to a read replica when one is configured (docs/deploy.md).

Code opts in per query with ``Model.objects.using(reporting_database())``: reports and exports
read thousands of rows and can live with a replica a second behind; everything else, and every
write, uses the primary.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def reporting_database() -> str:
    """The alias reports read from: ``replica`` when ``DATABASE_REPLICA_URL`` is set."""
    return "replica" if "replica" in settings.DATABASES else "default"


class ReplicaRouter:
    """Keeps the schema and every write on the primary; a replica is read-only."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return None  # the primary, unless a query names the replica

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
