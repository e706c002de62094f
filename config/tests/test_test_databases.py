"""The test database a test runs on (config/pytest_databases.py): in a parallel run, this
worker's own clone of the one database built by migrations, holding every migration."""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_the_test_database_has_every_migration_applied(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    # The data migrations ran too (the default calendar and policy the SLA starts from).
    from supportal.sla.models import Calendar

    assert Calendar.objects.exists()


def test_each_parallel_worker_has_a_database_of_its_own(db, request):
    name = connection.settings_dict["NAME"]
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker is None:
        # One process: its one database, made by migrations under the test name (on PostgreSQL
        # test_<NAME>, which is also what a parallel run's template is called).
        test_name = connection.settings_dict["TEST"]["NAME"]
        assert name == test_name if test_name else name.startswith("test_")
    elif connection.vendor == "sqlite":
        assert Path(name).name == f"default_{worker}.sqlite3"
        assert (Path(name).parent / "default.sqlite3").exists()  # the template, kept to the end
    else:
        assert name.endswith(f"_{worker}")
