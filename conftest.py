"""The test databases, for every test of the repository (supportal/, config/, bench/): one
conftest at the root, so that one ``django_db_setup`` overrides pytest-django's everywhere
(config/pytest_databases.py; docs/architecture.md, "Tests and their time")."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import pytest_databases

_SHARED = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    # pytest-xdist's controller, once per worker it starts: one shared directory for the run.
    config = node.config
    if _SHARED not in config.stash:
        config.stash[_SHARED] = pytest_databases.shared_directory_make()
    node.workerinput[pytest_databases.WORKER_INPUT_KEY] = str(config.stash[_SHARED])


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The controller, after every worker has finished (and torn its clone down).
    directory = session.config.stash.get(_SHARED, None)
    if directory is None:
        return
    from pytest_django.plugin import blocking_manager_key

    with session.config.stash[blocking_manager_key].unblock():
        pytest_databases.templates_drop(directory)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's, except that the workers of a parallel run clone one database built by
    migrations instead of each migrating its own."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    setup = {
        "verbosity": request.config.option.verbose,
        "aliases": aliases,
        "serialized_aliases": serialized_aliases,
    }
    keepdb = django_db_keepdb and not django_db_createdb
    workerinput = getattr(request.config, "workerinput", {})
    shared = workerinput.get(pytest_databases.WORKER_INPUT_KEY)
    if not django_db_use_migrations:
        _disable_migrations()
    with django_db_blocker.unblock():
        if shared and not keepdb:
            db_cfg = pytest_databases.databases_set_up(Path(shared), workerinput["workerid"], setup)
        else:
            db_cfg = setup_databases(interactive=False, keepdb=keepdb, **setup)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=setup["verbosity"])


@pytest.fixture(scope="session")
def children_directory(request, tmp_path_factory) -> Iterator[Path]:
    """Where the databases made once per run for the tests' child processes live: the run's
    shared directory (the controller drops what is in it), or this process's own; or, with
    ``SUPPORTAL_TEST_CHILDREN_DIR`` set (.ci/run: its SQLite run and its PostgreSQL run), that
    directory, kept for the next run of the same checkout and dropped by whoever set it."""
    shared = getattr(request.config, "workerinput", {}).get(pytest_databases.WORKER_INPUT_KEY)
    directory = pytest_databases.children_directory(Path(shared) if shared else None)
    if directory is not None:
        yield directory
        return
    directory = tmp_path_factory.mktemp("children")
    yield directory
    pytest_databases.child_postgres_drop(directory)


@pytest.fixture(scope="session")
def child_sqlite(children_directory) -> Path:
    """A SQLite database migrated by ``manage.py migrate``, once per run: copy it, never write
    to it (config/pytest_databases.py)."""
    return pytest_databases.child_sqlite(children_directory)


@pytest.fixture
def migrated_sqlite(child_sqlite, tmp_path) -> Path:
    """``tmp_path/child.sqlite3`` (the database of ``child_env``), migrated: a copy of
    ``child_sqlite``."""
    path = tmp_path / "child.sqlite3"
    shutil.copyfile(child_sqlite, path)
    return path
