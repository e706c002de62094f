"""A worker under ``serve`` killed with SIGKILL is started again after a back-off, and the crash
is logged and shown in /metrics (docs/deploy.md, "Health and metrics"; docs/security.md,
"Workers")."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from supportal.core.management.commands.serve import _exit_record, supervise
from supportal.core.models import ProcessExit
from supportal.core.tests.test_jobs import MANAGE, child_env


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory, child_sqlite) -> dict[str, str]:
    """A child worker's environment, on its own migrated SQLite database (a copy of the run's)."""
    folder = tmp_path_factory.mktemp("worker")
    env = child_env(folder)
    shutil.copyfile(child_sqlite, folder / "child.sqlite3")
    return env


def _worker_pids(database: Path) -> set[int]:
    """The pids of the workers that wrote a heartbeat (holder ``host:pid:random``)."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT holder FROM core_lease WHERE name LIKE 'heartbeat:%'")
        return {int(holder.split(":")[1]) for (holder,) in rows}


def _wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow  # subprocesses
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_started_again_and_the_crash_shows_in_metrics(
    worker_env, client, settings, caplog
):
    database = Path(worker_env["DATABASE_URL"].removeprefix("sqlite:///"))
    seen = {}

    def kill_then_stop() -> None:
        try:
            seen["first"] = next(iter(_wait_for(lambda: _worker_pids(database))))
            os.kill(seen["first"], signal.SIGKILL)
            restarted = _wait_for(lambda: _worker_pids(database) - {seen["first"]})
            seen["second"] = next(iter(restarted))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=kill_then_stop)
    watcher.start()
    with caplog.at_level(logging.WARNING, logger="supportal.serve"):
        code = supervise(
            {"worker": [*MANAGE, "run_worker", "--interval", "1"]},
            base_delay_seconds=0.5,
            on_exit=_exit_record,
            env=worker_env,
        )
    watcher.join()
    assert code == 0
    assert seen["second"] != seen["first"]  # a new worker process took over

    crash = ProcessExit.objects.get()
    assert (crash.process, crash.status) == ("worker", -signal.SIGKILL)
    assert "worker exited with status -9" in caplog.text
    assert "starting it again in 0 s" in caplog.text or "starting it again in 1 s" in caplog.text

    settings.SUPPORTAL_OPS_TOKEN = "t"
    settings.SUPPORTAL_METRICS = True
    metrics = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'supportal_process_exits_recent{process="worker"} 1.0' in metrics
    assert 'supportal_process_last_exit_age_seconds{process="worker"}' in metrics
