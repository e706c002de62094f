"""The production configuration: deploy checks, the production server with hashed static files,
PostgreSQL over a unix socket, the shared cache when several processes run (docs/deploy.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.env import parse_database_url
from supportal.core.routers import reporting_database
from supportal.core.tests.test_jobs import child_env, free_port

MANAGE = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py")]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = child_env(tmp_path)
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests, never in production
    env.update(
        {
            "SECRET_KEY": "k" * 20 + "-production-check-" + "x" * 30,
            "SUPPORTAL_BASE_URL": "https://help.example.com",
            "ALLOWED_HOSTS": "help.example.com,127.0.0.1",
            "SUPPORTAL_STATIC_MANIFEST": "true",
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            **extra,
        }
    )
    return env


@pytest.mark.slow  # subprocesses
def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path, SUPPORTAL_TRUSTED_PROXY="true"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow  # subprocesses
def test_https_settings_follow_the_base_url_and_the_proxy_is_trusted_only_when_told(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    plain = subprocess.run(  # noqa: S603
        [*MANAGE, "shell", "-c", code],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plain.stdout.strip().splitlines()[-1] == "True True 31536000 None"
    proxied = subprocess.run(  # noqa: S603
        [*MANAGE, "shell", "-c", code],
        env=production_env(tmp_path, SUPPORTAL_TRUSTED_PROXY="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proxied.stdout.strip().splitlines()[-1].endswith("('HTTP_X_FORWARDED_PROTO', 'https')")


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.slow
@pytest.mark.own_database  # the child's SQLite database, whatever the suite's
def test_serve_production_serves_a_styled_site_with_hashed_static_files(tmp_path, migrated_sqlite):
    """gunicorn with uvicorn workers, two processes, static files collected on first start."""
    port = free_port()
    env = production_env(
        tmp_path,
        SUPPORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        SUPPORTAL_OPS_TOKEN="t0ken",
    )
    env.pop("REDIS_URL", None)  # two processes without Redis share the database cache
    # The database of production_env: migrated_sqlite, a copy of the run's migrated one.
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "secret.txt").write_text("never served")
    serve = subprocess.Popen(  # noqa: S603
        [*MANAGE, "serve", "--production", "--port", str(port), "--workers", "2", "--only", "web"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _, page = fetch(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                assert serve.poll() is None, serve.stdout.read()
                assert time.monotonic() < deadline, "the production server did not come up"
                time.sleep(0.3)
        assert status == 200
        html = page.decode()
        start = html.index("/static/supportal/site.")
        css_url = html[start : html.index('"', start)]
        assert css_url.endswith(".css") and css_url.count(".") == 2  # site.<hash>.css
        status, headers, body = fetch(
            f"http://127.0.0.1:{port}{css_url}", **{"Accept-Encoding": "gzip"}
        )
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert headers.get("Content-Encoding") == "gzip"
        # Uploads are never static files.
        assert fetch(f"http://127.0.0.1:{port}/static/secret.txt")[0] == 404
        assert fetch(f"http://127.0.0.1:{port}/media-not-served/secret.txt")[0] == 404
        # Two processes without Redis share the database cache.
        assert (tmp_path / "static" / "staticfiles.json").exists()
        status, _, body = fetch(f"http://127.0.0.1:{port}/metrics", Authorization="Bearer t0ken")
        assert status == 200 and b'supportal_http_requests_total{status="200",view="login"}' in body
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        finally:
            serve.kill()
    output = serve.stdout.read()
    assert "REDIS_URL is not set and 2 web processes will run" in output


def test_postgresql_urls_take_a_unix_socket_and_the_pool_setting():
    url = "postgres://supportal@%2Fvar%2Frun%2Fpostgresql/supportal"
    config = parse_database_url("DATABASE_URL", url, base_dir=Path("/srv"))
    assert config["HOST"] == "/var/run/postgresql"
    assert config["CONN_MAX_AGE"] == 60
    query_form = parse_database_url(
        "DATABASE_URL", "postgres://u@/db?host=/run/PG", base_dir=Path("/srv")
    )
    assert query_form["HOST"] == "/run/PG" and "host" not in query_form["OPTIONS"]
    pooled = parse_database_url(
        "DATABASE_URL", "postgres://u:p@db.internal:5433/db", base_dir=Path("/"), pool_max_size=8
    )
    assert (pooled["HOST"], pooled["PORT"]) == ("db.internal", "5433")
    assert pooled["OPTIONS"]["pool"]["max_size"] == 8
    assert pooled["CONN_MAX_AGE"] == 0  # Django's pool and persistent connections exclude


@pytest.mark.slow  # subprocesses
def test_a_unix_socket_url_reaches_the_real_postgresql(tmp_path):
    """Whatever the suite's own database: PostgreSQL runs on every machine that runs the suite
    (.ci/services), and Debian's listens on this socket."""
    socket_dir = "/var/run/postgresql"
    if not Path(socket_dir, ".s.PGSQL.5432").exists():
        pytest.skip(f"PostgreSQL has no unix socket in {socket_dir} (.ci/services starts it)")
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres",
        "SUPPORTAL_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603
        [
            *MANAGE,
            "shell",
            "-c",
            "from django.db import connection; c = connection.cursor();"
            " c.execute('select 1'); print('socket', connection.settings_dict['HOST'],"
            " connection.connection.info.host)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "socket /var/run/postgresql /var/run/postgresql" in result.stdout, result.stderr


@pytest.mark.slow  # subprocesses
def test_several_web_processes_without_redis_share_the_database_cache(tmp_path):
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    env = {**child_env(tmp_path), "WEB_CONCURRENCY": "3"}
    env.pop("REDIS_URL", None)
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().endswith("django.core.cache.backends.db.DatabaseCache")
    check = subprocess.run(  # noqa: S603
        [*MANAGE, "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "REDIS_URL is not set and 3 web processes run" in check.stdout + check.stderr


REPLICA_READS = """
import json, time
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from supportal.conftest import cast_build
from django.core.cache import cache
from supportal.core.routers import pin_key

cast = cast_build()
TABLES = (
    "sla_clock", "sla_slaevent", "search_searchdocument", "tickets_ticket", "tickets_feedback"
)
seen = {}

def visit(step, client, url, data=None, method="get"):
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(
        connections["replica"]
    ) as replica:
        response = getattr(client, method)(url, data or {})
    seen[step] = [response.status_code] + [
        sorted({t for t in TABLES for q in c.captured_queries if t in q["sql"]})
        for c in (primary, replica)
    ]

lead = Client()
lead.force_login(cast.lead_help)
visit("report", lead, "/agent/reports/sla/")
visit("csv", lead, "/agent/reports/sla/", {"format": "csv"})
visit("csat", lead, "/agent/reports/csat/")
customer = Client()
customer.force_login(cast.cristina)
visit("search", customer, "/", {"q": "imprimanta"})
visit("write", customer, "/requests/new/?desk=HELP", {
    "product": cast.product.pk, "request_type": cast.question.pk,
    "summary": "Imprimanta nu tipareste", "details": "De ieri.",
}, method="post")
visit("search after the write", customer, "/", {"q": "imprimanta"})
visit("lead's report meanwhile", lead, "/agent/reports/sla/")
cache.delete(pin_key(cast.cristina.pk))  # SUPPORTAL_REPLICA_PIN_SECONDS later
visit("search once the pin passed", customer, "/", {"q": "imprimanta"})
from django.db import router
from supportal.tickets.models import Ticket
seen["router"] = [
    router.db_for_write(Ticket), router.db_for_read(Ticket),
    router.allow_migrate("replica", "tickets"), router.allow_migrate("default", "tickets"),
]
print(json.dumps(seen))
"""


@pytest.mark.slow  # subprocesses
def test_reports_exports_and_search_read_the_replica_except_right_after_ones_own_write(
    tmp_path, request
):
    """A second alias pointing at the same database stands in for a streaming replica; which
    connection each page's queries went through is what counts."""
    env = child_env(tmp_path)
    if connection.vendor == "postgresql":
        # The suite's own database holds no committed rows for the child: a fresh one.
        env["DATABASE_URL"] = request.getfixturevalue("migrated_postgres")[0]
    else:
        request.getfixturevalue("migrated_sqlite")  # the database of child_env
    env.update(
        {
            "DATABASE_REPLICA_URL": env["DATABASE_URL"],
            "ALLOWED_HOSTS": "testserver",
            "SUPPORTAL_REPLICA_PIN_SECONDS": "10",
        }
    )
    result = subprocess.run(  # noqa: S603
        [*MANAGE, "shell", "-c", REPLICA_READS],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # [status, tables read on the primary, tables read on the replica]
    report_tables = ["sla_clock", "sla_slaevent", "tickets_ticket"]
    assert seen["report"] == [200, [], report_tables]
    assert seen["csv"] == [200, [], report_tables]
    assert seen["csat"][0] == 200
    assert "tickets_feedback" in seen["csat"][2] and "tickets_feedback" not in seen["csat"][1]
    assert seen["search"][0] == 200
    assert "search_searchdocument" in seen["search"][2]
    assert "search_searchdocument" not in seen["search"][1]
    assert seen["write"][0] == 302
    assert seen["write"][2] == []  # a write and its own reads: the primary only
    # Read-your-writes: the customer's search right after her request reads the primary ...
    assert "search_searchdocument" in seen["search after the write"][1]
    assert seen["search after the write"][2] == []
    # ... while someone else's report still reads the replica,
    assert seen["lead's report meanwhile"] == [200, [], report_tables]
    # and once the pin has passed, so does hers again.
    assert "search_searchdocument" in seen["search once the pin passed"][2]
    # Writes and the schema stay on the primary; without a replica everything reads it.
    assert seen["router"] == ["default", "default", False, True]
    assert reporting_database() == "default"
