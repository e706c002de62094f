"""The web process's heap frozen after loading (docs/performance.md, "Tenth round: the floor of
every request and creating a request")."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import pytest
from django.conf import settings

from supportal.core.heap import heap_freeze
from supportal.core.tests.test_jobs import MANAGE, child_env


class _Node:
    pass


@pytest.fixture
def frozen_heap():
    """The freeze, then the test process's own state again: the test processes freeze what
    collection loaded (config/pytest_plugin.py), which a bare unfreeze would undo for every test
    after this one on the same worker."""
    frozen_before = gc.get_freeze_count() > 0
    heap_freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()


@pytest.mark.django_db
def test_after_the_freeze_pages_answer_and_what_requests_leave_behind_is_still_collected(
    frozen_heap, client
):
    assert gc.get_freeze_count() > 0  # the loaded application is out of the collector's walks
    assert client.get("/login/").status_code == 200
    cycle = _Node()
    cycle.itself = cycle
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None


# What each entry point runs once it has loaded: the collector must be on again (it is off while
# the process loads: supportal/core/heap.py) and what loading made frozen.
COLLECTOR_STATE = "import gc; print(gc.isenabled(), gc.get_freeze_count())"


def _collector_state(tmp_path, command: list[str]) -> tuple[str, int]:
    result = subprocess.run(  # noqa: S603
        command,
        cwd=settings.BASE_DIR,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    enabled, frozen = result.stdout.split()[-2:]
    return enabled, int(frozen)


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_server_entry_points_freeze_the_loaded_application(tmp_path, entry_point):
    code = f"import {entry_point} as served; assert served.application is not None; "
    enabled, frozen = _collector_state(tmp_path, [sys.executable, "-c", code + COLLECTOR_STATE])
    assert (enabled, frozen > 10_000) == ("True", True)


@pytest.mark.slow  # a subprocess
def test_a_command_collects_again_once_the_apps_are_ready(tmp_path):
    enabled, frozen = _collector_state(tmp_path, [*MANAGE, "shell", "-c", COLLECTOR_STATE])
    assert (enabled, frozen > 10_000) == ("True", True)
