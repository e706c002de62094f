"""The suite's test database holds what ``manage.py migrate`` makes: the same tables, content
types and permissions as the database the tests' child processes copy. On PostgreSQL a
parallel run's template is made as a copy of that database (config/pytest_databases.py;
docs/architecture.md, "Twelfth round: the PostgreSQL test template from the children's
database"), so a setting or app that made the two differ would show here first."""

from __future__ import annotations

import sqlite3

from django.db import connection

TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}
CONTENT_TYPES = "SELECT app_label, model FROM django_content_type"
PERMISSIONS = """SELECT t.app_label, t.model, p.codename, p.name FROM auth_permission p
    JOIN django_content_type t ON t.id = p.content_type_id"""
MIGRATIONS = "SELECT app, name FROM django_migrations"


def _contents(cursor, vendor: str) -> dict[str, set[tuple]]:
    contents = {}
    for name, sql in (
        ("tables", TABLES[vendor]),
        ("content types", CONTENT_TYPES),
        ("permissions", PERMISSIONS),
        ("migrations", MIGRATIONS),
    ):
        cursor.execute(sql)
        contents[name] = {tuple(row) for row in cursor.fetchall()}
    return contents


def test_the_test_database_holds_what_manage_py_migrate_makes(db, request):
    with connection.cursor() as cursor:
        ours = _contents(cursor, connection.vendor)
    if connection.vendor == "sqlite":
        children = sqlite3.connect(request.getfixturevalue("migrated_sqlite"))
        try:
            theirs = _contents(children.cursor(), "sqlite")
        finally:
            children.close()
    else:
        _url, children = request.getfixturevalue("migrated_postgres")
        theirs = _contents(children.cursor(), "postgresql")

    assert len(ours["tables"]) > 80
    assert len(ours["permissions"]) > 300
    for name, rows in ours.items():
        assert rows == theirs[name], name
