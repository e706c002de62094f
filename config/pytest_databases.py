"""The test databases of a parallel run: built once by migrations, then cloned for each worker
(docs/architecture.md, "Tests and their time").

Each pytest-xdist worker used to create its own test database by running every migration, so a
run on two workers migrated twice. Now the first worker to need a database builds a template
(every migration, as a single-process run does), under a file lock that the other workers wait
on; then each worker clones the template, as Django's own parallel test runner does
(``connection.creation.clone_test_db``): ``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a copy of
the file on SQLite. The controller drops the template when the run ends.

The run's shared files live in a directory the controller makes under ``var/`` and hands to
its workers (``pytest_configure_node``): the lock, the template's names once built
(``databases.json``), and the serialized contents of a test database for
``serialized_rollback`` tests.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

WORKER_INPUT_KEY = "supportal_test_databases"
MANIFEST = "databases.json"
SERIALIZED = "serialized.json"


def shared_directory_make() -> Path:
    """A new directory for one run's template (under var/, beside the other test databases)."""
    from django.conf import settings

    return Path(tempfile.mkdtemp(prefix="test-databases-", dir=settings.VAR_DIR))


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # flock: released by the system if the worker holding it dies mid-build, so a waiting
    # worker then builds the template itself.
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _template_name(alias: str, settings_dict: dict[str, Any], directory: Path, worker: str) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return str(directory / f"{alias}.sqlite3")
    # PostgreSQL: the name a single-process run gives its test database (test_<NAME>); the
    # workers' clones get pytest-django's names back (test_<NAME>_gw0, …).
    return settings_dict["TEST"]["NAME"].removesuffix(f"_{worker}")


def _template_build(directory: Path, worker: str, setup: dict[str, Any]) -> None:
    """Create the template databases by migrations and record their names (under the lock)."""
    from django.db import connections
    from django.test.utils import setup_databases

    test_names = {}
    for alias in setup["aliases"]:
        test_settings = connections[alias].settings_dict["TEST"]
        if not test_settings.get("MIRROR"):
            test_names[alias] = test_settings["NAME"]
            test_settings["NAME"] = _template_name(
                alias, connections[alias].settings_dict, directory, worker
            )
    setup_databases(interactive=False, **setup)
    for alias, name in test_names.items():
        connections[alias].settings_dict["TEST"]["NAME"] = name
    # What serialized_rollback tests restore (set by create_test_db only when asked for).
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in test_names
    }
    for alias in connections:
        connection = connections[alias]
        if connection.vendor == "sqlite" and connection.connection is not None:
            # The clone is a copy of the main file: everything must be in it, none in the WAL.
            connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    (directory / SERIALIZED).write_text(json.dumps(serialized))
    # The databases set up, and the mirrors (which setup_databases points at them).
    names = {
        alias: connections[alias].settings_dict["NAME"]
        for alias in connections
        if alias in test_names or connections[alias].settings_dict["TEST"].get("MIRROR")
    }
    (directory / MANIFEST).write_text(json.dumps(names))


def _template_clone(
    directory: Path, worker: str, verbosity: int, old_names: dict[str, str]
) -> list[tuple[Any, str, bool]]:
    """Point every alias at the template, clone it for this worker and point them at the clone;
    the old configuration that Django's ``teardown_databases`` takes."""
    from django.conf import settings
    from django.db import connections

    templates = json.loads((directory / MANIFEST).read_text())
    serialized = json.loads((directory / SERIALIZED).read_text())
    old_config = []
    cloned: dict[str, str] = {}
    for alias, template in templates.items():
        connection = connections[alias]
        connection.settings_dict["NAME"] = settings.DATABASES[alias]["NAME"] = template
        if connection.settings_dict["TEST"].get("MIRROR"):
            continue
        if template not in cloned:
            connection.creation.clone_test_db(suffix=worker, verbosity=verbosity)
            cloned[template] = connection.creation.get_test_db_clone_settings(worker)["NAME"]
            old_config.append((connection, old_names[alias], True))
        if serialized.get(alias) is not None:
            connection._test_serialized_contents = serialized[alias]  # type: ignore[attr-defined]
    for alias, template in templates.items():
        # Mirrors and aliases of one database follow it to the clone.
        clone = cloned.get(template, template)
        connections[alias].settings_dict["NAME"] = settings.DATABASES[alias]["NAME"] = clone
        connections[alias].close()
    return old_config


def databases_set_up(directory: Path, worker: str, setup: dict[str, Any]) -> list:
    """This worker's test databases: the template built by the first worker that gets here,
    cloned. ``setup`` is what ``setup_databases`` takes (verbosity, aliases,
    serialized_aliases)."""
    from django.db import connections

    old_names = {alias: connections[alias].settings_dict["NAME"] for alias in connections}
    with _locked(directory):
        if not (directory / MANIFEST).exists():
            _template_build(directory, worker, setup)
        # Cloned under the lock: PostgreSQL refuses to copy a template while another session
        # (another worker's clone) is connected to it.
        return _template_clone(directory, worker, setup["verbosity"], old_names)


def templates_drop(directory: Path) -> None:
    """Drop the run's template databases and its shared directory (the controller, at the end)."""
    from django.db import connections

    manifest = directory / MANIFEST
    if manifest.exists():
        dropped = set()
        for alias, template in json.loads(manifest.read_text()).items():
            connection = connections[alias]
            if template in dropped or connection.settings_dict["TEST"].get("MIRROR"):
                continue
            dropped.add(template)
            name = connection.settings_dict["NAME"]
            connection.settings_dict["NAME"] = template
            connection.creation.destroy_test_db(name, verbosity=0)
    shutil.rmtree(directory, ignore_errors=True)
