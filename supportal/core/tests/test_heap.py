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
from supportal.core.tests.test_jobs import child_env


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


@pytest.mark.slow  # subprocesses
@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_server_entry_points_freeze_the_loaded_application(tmp_path, entry_point):
    code = (
        f"import gc, {entry_point} as served; "
        "assert served.application is not None; print(gc.get_freeze_count())"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 10_000
