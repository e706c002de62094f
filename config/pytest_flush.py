"""The emptying of the test database after each test on committed rows, without rewriting what
nothing changed (docs/architecture.md, "Eleventh round: the flush after a test on committed rows").

After such a test (``transactional_db``, ``live_server``: threads, browsers, servers) Django's
``TransactionTestCase`` runs ``flush``: on PostgreSQL one ``TRUNCATE`` of every table (each
given new files, with its indexes), on SQLite a ``DELETE`` of each; then it emits
``post_migrate``, whose two receivers (content types, permissions) find their tables empty and
write them again. On PostgreSQL that cost 0.3–1.4 s per test, most of it the server's.

Here the tables that hold a row are found in one statement and emptied with ``DELETE`` in one
transaction (the foreign keys Django makes are checked at its commit, in any order). The content
types and permissions are left as they are when they are what the last full flush left (their
rows compared): ``post_migrate`` would write nothing, so it is not emitted. Anything else takes
Django's own flush, unchanged: a test that added or changed a content type or a permission,
another ``post_migrate`` receiver than those two, ``available_apps``, serialized rollback, a
``DELETE`` the database refused.
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Any

import pytest
from django.db import DatabaseError, connections, transaction
from django.db.models.signals import post_migrate
from django.test import TransactionTestCase

# What the two receivers of post_migrate write; everything else is emptied.
KEPT_TABLES = ("django_content_type", "auth_permission")
# The receivers whose work the kept tables are (django.contrib.contenttypes, django.contrib.auth).
KNOWN_RECEIVERS = {"create_contenttypes", "create_permissions"}

# Per database alias: the kept tables' rows as the last full flush left them (a digest).
_kept_digests: dict[str, str] = {}


def _kept_digest(alias: str) -> str:
    connection = connections[alias]
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in KEPT_TABLES:
            # The table names are this module's constants, quoted; nothing comes from outside.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def _only_known_receivers() -> bool:
    names = set()
    for _, receiver, *_ in post_migrate.receivers:
        # Held weakly by default (a reference to call), or the function itself (weak=False).
        live = receiver() if isinstance(receiver, weakref.ReferenceType) else receiver
        names.add(getattr(live, "__name__", ""))
    return names <= KNOWN_RECEIVERS


def _emptied_by_delete(alias: str) -> bool:
    """Empty every table but the kept ones that holds a row; False if the kept tables are not as
    the last full flush left them or the database refused (nothing is then changed)."""
    connection = connections[alias]
    if _kept_digests.get(alias) != _kept_digest(alias):
        return False
    quote = connection.ops.quote_name
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in KEPT_TABLES
    ]
    # The models' own table names, quoted.
    probe = " UNION ALL ".join(
        f"SELECT {index} FROM (SELECT 1 FROM {quote(table)} LIMIT 1) AS t{index}"  # noqa: S608
        for index, table in enumerate(tables)
    )
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(probe)
            for (index,) in cursor.fetchall():
                cursor.execute(f"DELETE FROM {quote(tables[index])}")  # noqa: S608
    except DatabaseError:
        return False
    return True


def install(patch: pytest.MonkeyPatch) -> None:
    """Put the cheaper flush in place of TransactionTestCase's, for this pytest process."""
    # Private to Django's TestCase classes: a release that renames them fails here, at the start.
    django_teardown = getattr(TransactionTestCase, "_fixture_teardown")  # noqa: B009

    def _fixture_teardown(self: TransactionTestCase) -> Any:
        aliases = getattr(self, "_databases_names")(include_mirrors=False)  # noqa: B009
        plain = self.available_apps is None and not self.serialized_rollback
        if plain and _only_known_receivers() and all(map(_emptied_by_delete, aliases)):
            return None
        result = django_teardown(self)
        for alias in aliases:
            _kept_digests[alias] = _kept_digest(alias)
        return result

    patch.setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
