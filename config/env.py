"""Typed readers for the environment variables that configure Supportal.

Every reader names the variable in its error, so a bad value stops start-up with a message an
operator can act on. Secrets may also be given as ``NAME_FILE`` pointing at a file (Docker and
systemd credentials work that way). Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Reads variables from a mapping (``os.environ`` by default), so tests can pass their own."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        file_name = self.environ.get(f"{name}_FILE")
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ImproperlyConfigured(
                    f"{name}_FILE: cannot read {file_name!r}: {exc}"
                ) from exc
        return self.environ.get(name)

    def str(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None else value

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.raw(name)
        if value is None:
            return default
        folded = value.strip().lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name}: expected a boolean (true/false, 1/0), got {value!r}")

    def int(
        self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None
    ) -> builtins.int:
        value = self.raw(name)
        if value is None or value.strip() == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: expected an integer, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {number}")
        return number

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str] | None = None
    ) -> builtins.list[builtins.str]:
        value = self.raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def host_port(
        self, name: builtins.str, default: builtins.str
    ) -> tuple[builtins.str, builtins.int]:
        value = self.str(name, default)
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"{name}: expected host:port, got {value!r}")
        return host.strip("[]"), int(port)


def parse_database_url(
    name: str,
    url: str,
    *,
    base_dir: Path,
    conn_max_age: int = 60,
    pool_max_size: int = 0,
) -> dict[str, Any]:
    """Turn ``sqlite:///rel.db``, ``sqlite:////abs.db`` or ``postgres://...`` into DATABASES.

    A PostgreSQL host may be a unix socket folder, percent-encoded
    (``postgres://user@%2Fvar%2Frun%2Fpostgresql/db``) or as ``?host=/var/run/postgresql``.
    ``pool_max_size`` > 0 turns on Django's connection pool (psycopg_pool) with that many
    connections per process; persistent connections (``conn_max_age``) are then off, as Django
    requires.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return _sqlite_database(name, url, parts, base_dir=base_dir)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return _postgres_database(
            name, url, parts, conn_max_age=conn_max_age, pool_max_size=pool_max_size
        )
    raise ImproperlyConfigured(
        f"{name}: unsupported database URL {url!r}; use sqlite:///path.db or"
        " postgres://user:password@host:port/database"
    )


def _sqlite_database(name: str, url: str, parts: SplitResult, *, base_dir: Path) -> dict[str, Any]:
    path = unquote(parts.path)
    if parts.netloc or not path or path == "/":
        raise ImproperlyConfigured(
            f"{name}: a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db,"
            f" got {url!r}"
        )
    # sqlite:///var/db.sqlite3 is relative to the project; sqlite:////srv/db.sqlite3 absolute.
    file_path = Path(path[1:])
    if not file_path.is_absolute():
        file_path = base_dir / file_path
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(file_path),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of one failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA mmap_size=134217728;"
                "PRAGMA cache_size=-20000;"
            ),
        },
    }


def _postgres_database(
    name: str, url: str, parts: SplitResult, *, conn_max_age: int, pool_max_size: int
) -> dict[str, Any]:
    database = unquote(parts.path.lstrip("/"))
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}: the port in {url!r} is not a number") from None
    if not database or "/" in database:
        raise ImproperlyConfigured(
            f"{name}: a PostgreSQL URL is postgres://user:password@host:port/database, got {url!r}"
        )
    options: dict[str, Any] = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    # urlsplit lower-cases hostname; a socket path keeps its case from the raw netloc.
    raw_host = parts.netloc.rpartition("@")[2]
    if raw_host.startswith("["):
        host = raw_host[1:].partition("]")[0]
    else:
        host = unquote(raw_host.rpartition(":")[0] if parts.port else raw_host)
    host = options.pop("host", host)
    if pool_max_size:
        options["pool"] = {"min_size": 1, "max_size": pool_max_size, "timeout": 10}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "CONN_MAX_AGE": 0 if pool_max_size else conn_max_age,
        "CONN_HEALTH_CHECKS": not pool_max_size and conn_max_age > 0,
        "OPTIONS": options,
    }


def parse_email_url(name: str, url: str, *, base_dir: Path) -> dict[str, Any]:
    """Map ``smtp://``, ``smtp+tls://``, ``smtps://``, ``file:///path`` and ``console:``."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        path = Path(unquote(parts.netloc + parts.path))
        if not str(path) or str(path) == ".":
            raise ImproperlyConfigured(f"{name}: a file URL needs a folder, got {url!r}")
        if not path.is_absolute():
            path = base_dir / path
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(path),
        }
    if parts.scheme in {"smtp", "smtp+tls", "smtps"}:
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}: the port in {url!r} is not a number") from None
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}: an SMTP URL needs a host, got {url!r}")
        default_port = {"smtp": 25, "smtp+tls": 587, "smtps": 465}[parts.scheme]
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port or default_port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_TIMEOUT": 30,
        }
    raise ImproperlyConfigured(
        f"{name}: unsupported e-mail URL {url!r}; use smtp://host:port,"
        " smtp+tls://user:password@host:port, smtps://..., file:///path or console:"
    )
