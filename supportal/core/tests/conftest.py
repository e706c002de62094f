"""Fixtures of the operations tests (docs/deploy.md)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from config import pytest_databases
from config.env import parse_database_url
from supportal.accounts.models import User
from supportal.conftest import Cast
from supportal.core.tests.urlworld import SignedIn, UrlWorld, url_world_build


def postgres_server() -> dict[str, Any]:
    """Connection parameters of the PostgreSQL server to make the test's database on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return pytest_databases.postgres_server_of(
        parse_database_url("DATABASE_URL", url, base_dir=Path("/"))
    )


def _postgres_database(template: str | None = None) -> Iterator[tuple[str, Any]]:
    """A new PostgreSQL database (its URL, and an autocommit connection to it), dropped after;
    a copy of ``template`` when given."""
    psycopg = pytest.importorskip("psycopg")
    server = postgres_server()
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **server)
    except psycopg.OperationalError as exc:
        pytest.skip(f"needs PostgreSQL on {server['host']}:{server['port']} ({exc})")
    name = f"supportal_scale_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    password = f":{server['password']}" if server["password"] else ""
    url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    own = None
    try:
        own = psycopg.connect(dbname=name, autocommit=True, **server)
        yield url, own
    finally:
        if own is not None:
            own.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def fresh_postgres() -> Iterator[tuple[str, Any]]:
    """A fresh, empty PostgreSQL database (its URL, and an autocommit connection to it)."""
    yield from _postgres_database()


@pytest.fixture
def migrated_postgres(children_directory) -> Iterator[tuple[str, Any]]:
    """A fresh PostgreSQL database with every migration applied, as ``manage.py migrate``
    leaves it: a copy of a template migrated once per run (config/pytest_databases.py)."""
    psycopg = pytest.importorskip("psycopg")
    server = postgres_server()
    try:
        template = pytest_databases.child_postgres_template(children_directory, server)
    except psycopg.OperationalError as exc:
        pytest.skip(f"needs PostgreSQL on {server['host']}:{server['port']} ({exc})")
    yield from _postgres_database(template)


# The world of the tests that walk every URL (test_url_permissions, test_hostile_input): built
# once per module, its files in a media folder of its own.
@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def _module_url_world(module_rows, _module_cast, media_root) -> None:
    from django.test import override_settings

    def build(rows) -> UrlWorld:
        with override_settings(MEDIA_ROOT=media_root):
            return url_world_build(rows.get("cast"))

    module_rows.register("url_world", build)


@pytest.fixture
def world(request, module_rows, _module_url_world, db, settings, media_root) -> UrlWorld:
    settings.MEDIA_ROOT = media_root
    shared = module_rows.get("url_world")
    # The test's own copy of the cast only when there is no shared world to hold one: a copy
    # for each of the walks' 1,800 tests a run was 0.4 ms each, and unused.
    return shared if shared is not None else url_world_build(request.getfixturevalue("cast"))


def sessions_build(cast: Cast) -> dict[int, str]:
    """A signed-in session of each person of the cast: the session cookie by the user's id."""
    keys = {}
    for field in fields(cast):
        person = getattr(cast, field.name)
        if isinstance(person, User):
            client = Client()
            client.force_login(person)
            keys[person.pk] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return keys


@pytest.fixture(scope="module")
def _module_sessions(module_rows, _module_url_world) -> None:
    module_rows.register("sessions", lambda rows: sessions_build(rows.get("cast")))


@pytest.fixture
def signed_in(module_rows, _module_sessions, world) -> SignedIn:
    """A new client signed in as one of the cast (None: anonymous). The module's tests share the
    sessions, made once with the world (a test's changes to its session are rolled back with it);
    signing in nine people anew for each of some two thousand URL tests took a large share of
    their time."""
    keys = module_rows.get("sessions") or sessions_build(world.cast)
    # The test's clients share one handler, as one server process serves every visitor: a
    # client's own loads the middleware again (WhiteNoise's list of static files: 12 ms).
    handler = Client().handler

    def client_for(user: User | None) -> Client:
        client = Client()
        client.handler = handler
        if user is not None:
            client.cookies[django_settings.SESSION_COOKIE_NAME] = keys[user.pk]
        return client

    return client_for
