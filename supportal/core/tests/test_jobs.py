from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from supportal.core import jobs
from supportal.core.management.commands.serve import restart_delay, supervise
from supportal.core.models import Lease

MANAGE = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py")]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def registry(monkeypatch) -> jobs.Registry:
    """An empty registry, so a test sees only the jobs it registers."""
    fresh = jobs.Registry()
    monkeypatch.setattr(jobs, "registry", fresh)
    return fresh


def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child ``manage.py``: its own throw-away database, never var/."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'child.sqlite3'}",
        "SUPPORTAL_VAR_DIR": str(tmp_path),
        "EMAIL_URL": "console:",
        "SUPPORTAL_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_retry_delay_doubles_from_a_minute_and_is_capped_at_an_hour():
    assert [jobs.retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
    ]
    assert jobs.retry_delay(7) == timedelta(hours=1)
    assert jobs.retry_delay(10_000) == timedelta(hours=1)


@pytest.mark.django_db
def test_a_lease_is_held_by_one_holder_until_it_expires_or_is_released():
    now = timezone.now()
    minute = timedelta(minutes=1)
    assert jobs.lease_acquire("sweep", holder="a", duration=minute, now=now)
    assert not jobs.lease_acquire("sweep", holder="b", duration=minute, now=now)
    # The holder renews its own lease.
    assert jobs.lease_acquire("sweep", holder="a", duration=minute, now=now + minute / 2)
    assert not jobs.lease_acquire("sweep", holder="b", duration=minute, now=now + minute)
    assert jobs.lease_acquire("sweep", holder="b", duration=minute, now=now + 2 * minute)

    jobs.lease_release("sweep", holder="a", now=now + 2 * minute)  # no longer a's: no effect
    assert not jobs.lease_acquire("sweep", holder="a", duration=minute, now=now + 2 * minute)
    jobs.lease_release("sweep", holder="b", now=now + 2 * minute)
    assert jobs.lease_acquire("sweep", holder="a", duration=minute, now=now + 2 * minute)


@pytest.mark.django_db
def test_a_periodic_job_runs_at_most_once_per_interval(registry) -> None:
    runs: list = []

    def sweep(now):
        runs.append(now)
        return 1

    jobs.register_periodic("sweep", sweep, every=timedelta(minutes=5))
    now = timezone.now()

    assert jobs.worker_tick(holder="a", now=now) == {"sweep": 1}
    assert jobs.worker_tick(holder="b", now=now + timedelta(minutes=4)) == {}
    assert jobs.worker_tick(holder="b", now=now + timedelta(minutes=5)) == {"sweep": 1}
    assert runs == [now, now + timedelta(minutes=5)]
    assert Lease.objects.get(name="periodic:sweep").last_run_at == now + timedelta(minutes=5)


@pytest.mark.django_db
def test_a_failing_periodic_job_waits_its_interval_before_trying_again(registry, caplog):
    def sweep(now):
        raise RuntimeError("sweep broke")

    jobs.register_periodic("sweep", sweep, every=timedelta(minutes=5))
    now = timezone.now()
    assert jobs.worker_tick(holder="a", now=now) == {}
    assert "sweep broke" in caplog.text
    caplog.clear()
    assert jobs.worker_tick(holder="a", now=now + timedelta(minutes=1)) == {}
    assert "sweep broke" not in caplog.text
    # The lease was released despite the failure.
    assert jobs.lease_acquire("periodic:sweep", holder="b", duration=timedelta(minutes=1))


@pytest.mark.django_db(transaction=True)
def test_a_leased_periodic_job_runs_in_only_one_of_two_concurrent_workers(registry) -> None:
    runs: list[str] = []
    running = threading.Event()

    def sweep(now):
        running.set()
        runs.append(threading.current_thread().name)
        time.sleep(0.3)  # long enough for the other worker to try while this one runs
        return 1

    jobs.register_periodic("sweep", sweep, every=timedelta(minutes=5))
    now = timezone.now()
    start = threading.Barrier(2)
    results: dict[str, dict[str, int]] = {}
    errors: list[BaseException] = []

    def work(holder: str) -> None:
        try:
            start.wait()
            results[holder] = jobs.worker_tick(holder=holder, now=now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(h,), name=h) for h in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(runs) == 1
    assert sorted(results.values(), key=len) == [{}, {"sweep": 1}]


@pytest.mark.django_db
def test_run_worker_once_runs_registered_handlers_and_survives_one_that_raises(
    registry, caplog
) -> None:
    calls: list[str] = []

    def broken(now):
        calls.append("broken")
        raise RuntimeError("handler broke")

    def working(now):
        calls.append("working")
        return 3

    jobs.register_queue("broken", broken)
    jobs.register_queue("working", working)

    def sweep(now):
        calls.append("sweep")
        return 0

    jobs.register_periodic("sweep", sweep, every=timedelta(1))

    with caplog.at_level(logging.INFO, logger="supportal.worker"):
        call_command("run_worker", "--once")

    assert calls == ["broken", "working", "sweep"]
    assert "queue broken failed" in caplog.text
    assert "handler broke" in caplog.text
    assert "working: handled 3" in caplog.text


@pytest.mark.slow  # a subprocess
@pytest.mark.own_database  # child_env's SQLite database, whatever the suite's
def test_run_worker_stops_cleanly_on_sigterm(tmp_path):
    worker = subprocess.Popen(  # noqa: S603
        [*MANAGE, "run_worker", "--interval", "1"],
        env=child_env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "started" not in line and time.monotonic() < deadline:
            line = worker.stderr.readline()
        assert "started" in line
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
        assert "stopped" in worker.stderr.read()
    finally:
        worker.kill()
        worker.wait()


def pid_recorder(pid_file: Path) -> list[str]:
    """A child that writes its pid to ``pid_file``, then sleeps for a minute."""
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    return [sys.executable, "-c", code]


@pytest.mark.slow  # subprocesses
def test_supervise_restarts_a_dead_child_and_leaves_the_others_running(tmp_path):
    pid_file = tmp_path / "pid"
    starts = tmp_path / "starts"
    # Dies at once on its first two starts, then stays up.
    flaky = [
        sys.executable,
        "-c",
        f"import time; f = open({str(starts)!r}, 'a'); f.write('x'); f.close();"
        f" n = len(open({str(starts)!r}).read());"
        " raise SystemExit(3) if n < 3 else time.sleep(60)",
    ]

    def stop_when_restarted() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if starts.exists() and len(starts.read_text()) >= 3:
                break
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=stop_when_restarted)
    watcher.start()
    try:
        assert (
            supervise(
                {"recorder": pid_recorder(pid_file), "flaky": flaky},
                base_delay_seconds=0.2,
            )
            == 0
        )
    finally:
        watcher.join()
    assert starts.read_text() == "xxx"  # started, died, started again after a back-off, twice
    assert is_gone(int(pid_file.read_text()))  # the others ran on, and stopped with us


@pytest.mark.slow  # subprocesses
def test_supervise_without_restart_stops_the_others_when_one_child_dies(tmp_path):
    pid_file = tmp_path / "pid"
    crasher = [sys.executable, "-c", "import time; time.sleep(0.5); raise SystemExit(3)"]
    assert supervise({"recorder": pid_recorder(pid_file), "crasher": crasher}, restart=False) == 1
    assert is_gone(int(pid_file.read_text()))


def test_restart_delay_doubles_up_to_the_cap():
    assert [restart_delay(n) for n in (1, 2, 3, 4, 5, 6, 7, 50)] == [1, 2, 4, 8, 16, 30, 30, 30]


@pytest.mark.slow  # a subprocess
def test_supervise_stops_every_child_on_sigterm(tmp_path):
    pid_file = tmp_path / "pid"
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert supervise({"recorder": pid_recorder(pid_file), "sleeper": SLEEPER}) == 0
    finally:
        timer.cancel()
    assert is_gone(int(pid_file.read_text()))


@pytest.mark.slow  # a subprocess
@pytest.mark.own_database  # child_env's SQLite database, whatever the suite's
def test_serve_starts_the_web_server_and_worker_and_stops_them_on_sigterm(tmp_path):
    port = free_port()
    serve = subprocess.Popen(  # noqa: S603
        [*MANAGE, "serve", "--port", str(port)],
        env=child_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert f"http://127.0.0.1:{port}/" in serve.stdout.readline()
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert serve.poll() is None, "serve exited early"
                assert time.monotonic() < deadline, "the web server did not come up"
                time.sleep(0.1)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=15) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        serve.kill()
        serve.wait()


def test_a_database_outage_is_logged_once_not_per_job_and_tick(registry, caplog):
    """One line when it goes, one when it is back (docs/security.md, Infrastructure)."""
    from django.db import OperationalError

    down = {"now": True}

    def handler(now):
        if down["now"]:
            raise OperationalError("could not connect to server")
        return 0

    for name in ("a", "b", "c"):
        jobs.register_queue(name, handler)
    with caplog.at_level("INFO", logger="supportal"):
        for _ in range(20):
            jobs.worker_tick(holder="test")
        down["now"] = False
        jobs.worker_tick(holder="test")
    lines = [r for r in caplog.records if r.levelname in {"ERROR", "WARNING"}]
    assert [r.getMessage().split(";")[0].split(" (")[0] for r in lines] == [
        "database unavailable",
        "database available again",
    ]
    assert all(r.exc_info is None for r in lines)
