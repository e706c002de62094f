"""The container image, run as compose.yaml runs it (docs/deploy.md, "Single server with
Docker"): each application service of compose.yaml — its command and its environment, with
compose's ``${VAR:-default}`` filled in — started from the built image against the PostgreSQL
and Redis of this machine (on the host's network, standing in for compose's own ``postgres``
and ``redis`` services). The administrator from the environment logs in, the site is styled by
hashed static files, the processes run as the image's unprivileged user, and ``/readyz`` is
ready once the worker container has reported.

Building the image takes minutes, so this test runs only when it is given one:
``make test-image`` builds ``supportal:test`` and runs it (``SUPPORTAL_TEST_IMAGE=<tag>``);
otherwise it is deselected (config/pytest_plugin.py), not skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

from supportal.core.tests.test_jobs import free_port

pytestmark = [pytest.mark.image, pytest.mark.slow]

ROOT = Path(django_settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "tasks", "smtp")
_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise AssertionError(f"compose.yaml needs {name}: {rest}")
        return rest or ""

    return _VARIABLE.sub(one, value)


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    result = subprocess.run(  # noqa: S603
        ["docker", *args],  # noqa: S607 - the docker client on PATH
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"docker {' '.join(args[:3])}: {result.stderr}"
    return result.stdout


@pytest.fixture
def image() -> str:
    tag = os.environ.get("SUPPORTAL_TEST_IMAGE", "")
    if not shutil.which("docker"):
        pytest.fail("SUPPORTAL_TEST_IMAGE is set but there is no docker client")
    docker("image", "inspect", tag)
    return tag


@pytest.fixture
def containers() -> Iterator[list[str]]:
    started: list[str] = []
    yield started
    for name in started:
        docker("rm", "--force", name, check=False)


def test_the_image_runs_compose_services_against_postgresql_and_redis(
    image, containers, fresh_postgres
):
    requests = pytest.importorskip("requests")
    database_url, db = fresh_postgres
    web_port, smtp_port = free_port(), free_port()
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    variables = {
        "SECRET_KEY": "image-test-" + "k" * 50,
        "SUPPORTAL_BASE_URL": f"http://127.0.0.1:{web_port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SUPPORTAL_ADMIN_EMAIL": "admin@example.com",
        "SUPPORTAL_ADMIN_PASSWORD": "Image-test password 2026 long",
        "SUPPORTAL_OPS_TOKEN": "image-token",
        "WEB_CONCURRENCY": "2",
    }
    local = {  # compose's own postgres and redis services are this machine's
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"image-{uuid.uuid4().hex[:8]}",
        "SUPPORTAL_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
    }

    def run(service: str, *, detach: bool) -> str:
        spec = compose["services"][service]
        env = {k: interpolate(str(v), variables) for k, v in spec["environment"].items()}
        env.update(local)
        command = spec["command"]
        if isinstance(command, str):
            command = ["sh", "-c", command]
        command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{web_port}") for part in command]
        name = f"supportal-test-{service}-{uuid.uuid4().hex[:6]}"
        containers.append(name)
        args = ["run", "--name", name, "--network", "host"]
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        args += ["--detach"] if detach else []
        return docker(*args, image, *command, timeout=300)

    run("migrate", detach=False)
    for service in ("web", "worker", "tasks", "smtp"):
        run(service, detach=True)
    base = f"http://127.0.0.1:{web_port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=3).ok
        except requests.RequestException:
            return False

    deadline = time.monotonic() + 120
    while not up():
        assert time.monotonic() < deadline, docker("logs", containers[1], check=False)
        time.sleep(1)

    # Styled: the page names a hashed stylesheet, served compressed with a long cache.
    login = requests.get(f"{base}/login/", timeout=10)
    css = re.search(r'href="(/static/supportal/site\.[0-9a-f]+\.css)"', login.text)
    assert css, login.text[:500]
    sheet = requests.get(base + css.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert sheet.ok and "immutable" in sheet.headers["Cache-Control"]

    # The administrator from the environment logs in.
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/login/",
        data={
            "csrfmiddlewaretoken": token,
            "username": variables["SUPPORTAL_ADMIN_EMAIL"],
            "password": variables["SUPPORTAL_ADMIN_PASSWORD"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]

    # Ready once the worker container has reported; every process unprivileged.
    def ready() -> bool:
        answer = requests.get(
            f"{base}/readyz", headers={"Authorization": "Bearer image-token"}, timeout=10
        )
        return answer.status_code == 200

    deadline = time.monotonic() + 60
    while not ready():
        assert time.monotonic() < deadline, requests.get(
            f"{base}/readyz", headers={"Authorization": "Bearer image-token"}, timeout=10
        ).text
        time.sleep(1)
    for name in containers[1:]:
        assert docker("exec", name, "id", "-u").strip() == "10001"
    assert db.execute("SELECT count(*) FROM accounts_user WHERE is_superuser").fetchone() == (1,)
