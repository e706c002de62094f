"""The deployment files name real commands: compose.yaml, the Dockerfile, the systemd units.

Docker does not run on every machine that runs the tests, so these check the files themselves
(systemd's own parser checks the units); the image itself is built and run by ``make
test-image`` (supportal/core/tests/test_image.py, docs/deploy.md).
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.utils import timezone

from supportal.core import ops

ROOT = Path(settings.BASE_DIR)
SUPPORTAL_SERVICES = {"migrate", "web", "worker", "tasks", "smtp"}


def assert_real_manage_command(argv: list[str]) -> None:
    """``python manage.py NAME args...``: NAME exists and accepts args."""
    index = argv.index("manage.py")
    name, args = argv[index + 1], argv[index + 2 :]
    commands = get_commands()
    assert name in commands, f"manage.py {name}: no such command"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(args)  # exits (SystemExit) on an unknown option


def manage_invocations(command: str | list[str]) -> list[list[str]]:
    """Every ``manage.py ...`` call in a compose command (a list, or a ``sh -c`` string)."""
    if isinstance(command, list):
        if command[:2] == ["sh", "-c"]:
            command = command[2]
        else:
            return [command]
    if command.startswith("sh -c "):
        command = shlex.split(command)[2]
    return [shlex.split(part) for part in command.split("&&")]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_every_process_with_postgresql_redis_and_volumes(compose):
    services = compose["services"]
    assert SUPPORTAL_SERVICES | {"postgres", "redis"} <= set(services)
    for name in SUPPORTAL_SERVICES:
        service = services[name]
        for argv in manage_invocations(service["command"]):
            assert_real_manage_command(argv)
        env = service["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"  # shared cache for every process
        assert "media:/data/media" in service["volumes"]
    declared = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared
    assert services["migrate"]["environment"]["SUPPORTAL_ADMIN_EMAIL"]
    for name in ("web", "worker", "tasks", "smtp"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"  # each restarts on its own


def test_compose_health_checks_use_real_commands(compose, db):
    services = compose["services"]
    for name in ("web", "worker", "smtp", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    assert "/healthz" in services["web"]["healthcheck"]["test"][-1]
    worker_check = services["worker"]["healthcheck"]["test"][1:]
    assert_real_manage_command(worker_check)
    # ... and it fails while no worker runs, passes once one reports.
    with pytest.raises(CommandError, match="no worker heartbeat"):
        call_command(*worker_check[2:])
    ops.heartbeat_write("c1:1:x", now=timezone.now() - timedelta(hours=1))
    with pytest.raises(CommandError):
        call_command(*worker_check[2:])
    ops.heartbeat_write("c1:2:y")
    call_command(*worker_check[2:])


def test_the_image_is_multi_stage_non_root_with_static_files_and_translations_baked_in():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    assert "manage.py compile_translations" in dockerfile
    assert "manage.py collectstatic" in dockerfile
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines and user_lines[-1] != "USER root"
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert_real_manage_command(yaml.safe_load(cmd.removeprefix("CMD ")))
    assert ".venv" in (ROOT / ".dockerignore").read_text()


@pytest.mark.parametrize("unit", ["web", "worker", "tasks", "smtp", "backup"])
def test_systemd_units_start_real_commands_and_restart(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(ROOT / "deploy" / "systemd" / f"supportal-{unit}.service")
    service = parser["Service"]
    assert_real_manage_command(shlex.split(service["ExecStart"]))
    assert service["User"] == "supportal"
    if unit != "backup":
        assert service["Restart"] == "always"


@pytest.mark.slow  # a subprocess (systemd-analyze)
def test_systemd_accepts_every_unit_and_timer(tmp_path):
    """systemd's own parser: an unknown key or a bad value is reported (and ignored at run
    time, where nobody would notice). Only the install path, absent here, may be missing."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    units = sorted((ROOT / "deploy" / "systemd").glob("supportal-*.*"))
    for unit in units:
        shutil.copy(unit, tmp_path / unit.name)
    result = subprocess.run(  # noqa: S603
        [analyze, "verify", *(str(tmp_path / unit.name) for unit in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line and "Command /opt/supportal/.venv/bin/python is not executable" not in line
    ]
    assert complaints == []
    assert {unit.suffix for unit in units} == {".service", ".timer"}


def test_nginx_serves_attachments_only_internally_at_the_sendfile_prefix():
    site = (ROOT / "deploy" / "nginx" / "supportal.conf").read_text()
    block = site[site.index(f"location {settings.SUPPORTAL_SENDFILE_PREFIX}") :]
    assert "internal;" in block[: block.index("}")]
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site


def test_ensure_admin_creates_the_administrator_once_from_the_environment(db, monkeypatch):
    from supportal.accounts.models import User

    call_command("ensure_admin")  # nothing set: nothing to do
    monkeypatch.setenv("SUPPORTAL_ADMIN_EMAIL", "root@firm.example")
    monkeypatch.setenv("SUPPORTAL_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="SUPPORTAL_ADMIN_PASSWORD"):
        call_command("ensure_admin")
    monkeypatch.setenv("SUPPORTAL_ADMIN_PASSWORD", "Long enough 2026 password")
    call_command("ensure_admin")
    admin = User.objects.get(email="root@firm.example")
    assert admin.is_superuser and admin.check_password("Long enough 2026 password")
    monkeypatch.setenv("SUPPORTAL_ADMIN_PASSWORD", "Another 2027 password!")
    call_command("ensure_admin")  # exists: left as it is
    admin.refresh_from_db()
    assert admin.check_password("Long enough 2026 password")
