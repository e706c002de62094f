"""Configuration from the environment: typed readers, URLs, and start-up refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env, parse_database_url, parse_email_url

BASE = Path("/srv/supportal")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False), ("", False)],
)
def test_booleans_are_read_strictly(raw, expected):
    assert Env({"DEBUG": raw}).bool("DEBUG") is expected


def test_a_bad_boolean_is_an_error_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DEBUG: expected a boolean"):
        Env({"DEBUG": "maybe"}).bool("DEBUG")


def test_a_secret_may_come_from_a_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    assert Env({"SECRET_KEY_FILE": str(secret)}).str("SECRET_KEY") == "from-a-file"


def test_an_unreadable_secret_file_names_the_variable(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE"):
        Env({"SECRET_KEY_FILE": str(tmp_path / "missing")}).str("SECRET_KEY")


def test_host_port_is_checked():
    assert Env({}).host_port("SUPPORTAL_SMTP_LISTEN", "127.0.0.1:2525") == ("127.0.0.1", 2525)
    with pytest.raises(ImproperlyConfigured, match="SUPPORTAL_SMTP_LISTEN"):
        Env({"SUPPORTAL_SMTP_LISTEN": "localhost"}).host_port("SUPPORTAL_SMTP_LISTEN", "")


def test_relative_sqlite_url_lives_under_the_project():
    db = parse_database_url("DATABASE_URL", "sqlite:///var/db.sqlite3", base_dir=BASE)
    assert db["NAME"] == "/srv/supportal/var/db.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_absolute_sqlite_url():
    db = parse_database_url("DATABASE_URL", "sqlite:////data/s.db", base_dir=BASE)
    assert db["NAME"] == "/data/s.db"


def test_postgres_url_with_credentials():
    db = parse_database_url(
        "DATABASE_URL",
        "postgres://sup:p%40ss@db.local:6543/supportal?sslmode=require",
        base_dir=BASE,
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "sup",
        "p@ss",
        "db.local",
        "6543",
        "supportal",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    "url",
    ["mysql://x/y", "postgres://host:notaport/db", "postgres://host/", "sqlite://", "nonsense"],
)
def test_malformed_database_urls_are_refused_by_name(url):
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL: "):
        parse_database_url("DATABASE_URL", url, base_dir=BASE)


@pytest.mark.parametrize(
    ("url", "backend", "extra"),
    [
        ("console:", "console", {}),
        ("file:///tmp/outbox", "filebased", {"EMAIL_FILE_PATH": "/tmp/outbox"}),
        ("smtp://mail.local:2525", "smtp", {"EMAIL_PORT": 2525, "EMAIL_USE_TLS": False}),
        (
            "smtp+tls://u:p@mail.local",
            "smtp",
            {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True, "EMAIL_HOST_USER": "u"},
        ),
        ("smtps://mail.local", "smtp", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
    ],
)
def test_email_urls(url, backend, extra):
    parsed = parse_email_url("EMAIL_URL", url, base_dir=BASE)
    assert backend in parsed["EMAIL_BACKEND"]
    for key, value in extra.items():
        assert parsed[key] == value


def test_unknown_email_scheme_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL: "):
        parse_email_url("EMAIL_URL", "pop3://x", base_dir=BASE)


def _start(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow  # a subprocess
def test_start_up_refuses_a_malformed_database_url_naming_it():
    result = _start(DATABASE_URL="postgres://db:port/x", SECRET_KEY="k")
    assert result.returncode != 0
    assert "DATABASE_URL: the port in 'postgres://db:port/x' is not a number" in result.stderr


@pytest.mark.slow  # a subprocess
def test_start_up_without_a_secret_key_and_debug_off_is_refused():
    env = {"SECRET_KEY": ""}
    result = _start(**env)
    assert result.returncode != 0
    assert "SECRET_KEY: required when DEBUG is off" in result.stderr


@pytest.mark.slow  # a subprocess
def test_start_up_refuses_an_unknown_time_zone():
    result = _start(SECRET_KEY="k", TIME_ZONE="Mars/Olympus")
    assert result.returncode != 0
    assert "TIME_ZONE: unknown time zone 'Mars/Olympus'" in result.stderr


@pytest.mark.slow  # a subprocess
def test_debug_generates_a_secret_key_once(tmp_path):
    first = _start(DEBUG="1", SECRET_KEY="", SUPPORTAL_VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    _start(DEBUG="1", SECRET_KEY="", SUPPORTAL_VAR_DIR=str(tmp_path))
    assert (tmp_path / "secret_key").read_text() == key
    assert len(key) > 40
