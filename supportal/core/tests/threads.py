"""Work done by several threads at once, as several workers or requests would do it: the
concurrency tests' common harness."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def at_once(count: int, work: Callable[[], object], *, timeout: float = 120) -> list[BaseException]:
    """Run ``work`` in ``count`` threads released together, each on its own database connection
    (closed at its end); wait for them and return what they raised, for the test to report. A
    thread still running after ``timeout`` seconds fails the test."""
    start = threading.Barrier(count, timeout=30)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported by the calling test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors
