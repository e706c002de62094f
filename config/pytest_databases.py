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
``serialized_rollback`` tests. The template is not migrated in the worker but copied from the
children's database below, which holds the same (docs/architecture.md, "Twelfth round: the
PostgreSQL test template from the children's database"; on SQLite too since the fifteenth
round).

Tests whose child processes (``manage.py`` workers, servers, the knowledge evaluation) need a
migrated database of their own used to run every migration in each child (about 10 s of CPU
each). They now copy one database migrated once per run by ``manage.py migrate`` in a child
process, as before: a SQLite file (``child_sqlite``), or on PostgreSQL a template the copies are
created from (``child_postgres_template``); the child's own ``migrate`` then has nothing left to
do. ``.ci/run`` runs the suite twice (SQLite, then PostgreSQL) on one checkout: it keeps these
children's databases for both runs (``SUPPORTAL_TEST_CHILDREN_DIR``) and drops them at its end
(``python -m config.pytest_databases drop DIRECTORY``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

WORKER_INPUT_KEY = "supportal_test_databases"
MANIFEST = "databases.json"
SERIALIZED = "serialized.json"
CHILD_SQLITE = "child.sqlite3"
# The PostgreSQL template of the children's databases: its name and server, once made.
CHILD_POSTGRES = "child-postgres.json"
# A directory for the children's databases kept from one run to the next (see above).
CHILDREN_DIR_VARIABLE = "SUPPORTAL_TEST_CHILDREN_DIR"


def shared_directory_make() -> Path:
    """A new directory for one run's template (under var/, beside the other test databases)."""
    from django.conf import settings

    return Path(tempfile.mkdtemp(prefix="test-databases-", dir=settings.VAR_DIR))


@contextmanager
def _locked(directory: Path, name: str = "lock") -> Iterator[None]:
    # flock: released by the system if the worker holding it dies mid-build, so a waiting
    # worker then builds the template itself.
    with open(directory / name, "w") as lock:
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


def children_directory(shared: Path | None) -> Path | None:
    """Where the children's databases of a run live: the directory kept between runs
    (``SUPPORTAL_TEST_CHILDREN_DIR``), else the run's shared directory (None without one)."""
    kept = os.environ.get(CHILDREN_DIR_VARIABLE)
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return shared


def postgres_server_of(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """The PostgreSQL server of a database's settings, as ``child_postgres_template`` takes it
    and records it: the template build and the tests' fixtures must name a server alike, or
    the template is dropped and made again."""
    return {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": int(settings_dict["PORT"] or 5432),
        "user": settings_dict["USER"] or "postgres",
        "password": settings_dict["PASSWORD"] or None,
    }


def _template_build(directory: Path, worker: str, setup: dict[str, Any]) -> None:
    """Create the template databases and record their names (under the lock): copies of the
    children's database (``child_sqlite``, ``child_postgres_template``), migrated once per run by
    ``manage.py migrate``: the same tables and rows (docs/architecture.md, "Twelfth round: the
    PostgreSQL test template from the children's database", and "Fifteenth round: the SQLite
    test template and the workers' checks"), where Django's ``migrate`` then finds every
    migration applied and does the rest it does on a new database (the cache table, what
    ``serialized_rollback`` tests restore)."""
    from django.db import connections
    from django.test.utils import setup_databases

    test_names = {}
    children = children_directory(directory) or directory
    for alias in setup["aliases"]:
        settings_dict = connections[alias].settings_dict
        if not settings_dict["TEST"].get("MIRROR"):
            test_names[alias] = settings_dict["TEST"]["NAME"]
            name = settings_dict["TEST"]["NAME"] = _template_name(
                alias, settings_dict, directory, worker
            )
            if settings_dict["ENGINE"].endswith("postgresql"):
                settings_dict["TEST"]["TEMPLATE"] = child_postgres_template(
                    children, postgres_server_of(settings_dict)
                )
            else:
                shutil.copyfile(child_sqlite(children), name)
    # SQLite has no TEMPLATE: Django keeps the copied file (keepdb) instead of making it anew.
    sqlite_only = all(
        connections[alias].settings_dict["ENGINE"].endswith("sqlite3") for alias in test_names
    )
    setup_databases(interactive=False, keepdb=sqlite_only, **setup)
    for alias, name in test_names.items():
        connections[alias].settings_dict["TEST"]["NAME"] = name
        connections[alias].settings_dict["TEST"].pop("TEMPLATE", None)
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


def _child_migrate(database_url: str, var_dir: Path) -> None:
    """``manage.py migrate`` in a child process, as the tests' children ran it themselves."""
    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": database_url, "SUPPORTAL_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_REPLICA_URL", None)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True, timeout=900)  # noqa: S603


def child_sqlite(directory: Path) -> Path:
    """A SQLite file migrated by ``manage.py migrate``, made once per run (under a lock of its
    own); a test copies it to give its children a migrated database."""
    path = directory / CHILD_SQLITE
    with _locked(directory, "child-sqlite.lock"):
        if not path.exists():
            building = directory / "child-building.sqlite3"
            building.unlink(missing_ok=True)
            var_dir = directory / "child-var"
            var_dir.mkdir(exist_ok=True)
            _child_migrate(f"sqlite:///{building}", var_dir)
            # The child closed its connection: the write-ahead log is checkpointed into the file.
            assert not Path(f"{building}-wal").exists()
            building.rename(path)
    return path


def child_postgres_template(directory: Path, server: dict[str, Any]) -> str:
    """The name of a PostgreSQL database migrated by ``manage.py migrate`` on ``server``
    (host, port, user, password), made once per run; ``CREATE DATABASE … TEMPLATE`` copies it.
    ``templates_drop`` (or ``child_postgres_drop``) drops it."""
    import psycopg

    manifest = directory / CHILD_POSTGRES
    with _locked(directory, "child-postgres.lock"):
        if manifest.exists():
            made = json.loads(manifest.read_text())
            if made["server"] == server and made.get("migrated"):
                return made["name"]
            # Kept from a run on another server, or whose migrations did not finish.
            child_postgres_drop(directory)
        name = f"supportal_child_template_{uuid.uuid4().hex[:10]}"
        manifest.write_text(json.dumps({"name": name, "server": server}))
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        password = f":{server['password']}" if server["password"] else ""
        url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
        var_dir = directory / "child-var"
        var_dir.mkdir(exist_ok=True)
        _child_migrate(url, var_dir)
        manifest.write_text(json.dumps({"name": name, "server": server, "migrated": True}))
        return name


def child_postgres_drop(directory: Path) -> None:
    """Drop the children's PostgreSQL template, if one was made in ``directory``."""
    manifest = directory / CHILD_POSTGRES
    if not manifest.exists():
        return
    import psycopg

    made = json.loads(manifest.read_text())
    with psycopg.connect(dbname="postgres", autocommit=True, **made["server"]) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{made["name"]}" WITH (FORCE)')
    manifest.unlink()


def templates_drop(directory: Path) -> None:
    """Drop the run's template databases and its shared directory (the controller, at the end)."""
    from django.db import connections

    child_postgres_drop(directory)
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


if __name__ == "__main__":
    # python -m config.pytest_databases drop DIRECTORY: the children's databases kept there.
    if sys.argv[1:2] != ["drop"] or len(sys.argv) != 3:
        sys.exit("usage: python -m config.pytest_databases drop DIRECTORY")
    child_postgres_drop(Path(sys.argv[2]))
    shutil.rmtree(sys.argv[2], ignore_errors=True)
