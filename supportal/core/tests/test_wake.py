"""Idle workers wake on PostgreSQL NOTIFY: a new outbox row is sent within a second, not after
the polling interval (docs/deploy.md, "Growing past one machine")."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from django.db import connection
from django.utils import timezone

from supportal.core.jobs import WAKE_CHANNEL, WakeListener
from supportal.core.tests.test_jobs import MANAGE
from supportal.mail.models import OutboundEmail, OutboundState


def worker_env(tmp_path) -> dict[str, str]:
    params = connection.settings_dict
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = f"{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}{password}@{host}/{params['NAME']}",
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "SUPPORTAL_VAR_DIR": str(tmp_path),
    }


@pytest.mark.django_db(transaction=True)
def test_a_new_outbox_row_wakes_an_idle_worker_at_once(tmp_path):
    if connection.vendor != "postgresql":
        # SQLite has no notification channel: workers poll every SUPPORTAL_WORKER_INTERVAL.
        assert WakeListener().available is False
        return
    worker = subprocess.Popen(  # noqa: S603
        [*MANAGE, "run_worker", "--interval", "30"],
        env=worker_env(tmp_path),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # until the idle worker listens
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND query = %s",
                    [f"LISTEN {WAKE_CHANNEL}"],
                )
                if cursor.fetchone()[0]:
                    break
            assert worker.poll() is None and time.monotonic() < deadline, "worker never listened"
            time.sleep(0.1)
        created = time.monotonic()
        mail = OutboundEmail.objects.create(
            to=["client@example.com"],
            from_email="support@example.com",
            subject="Woken",
            body_text="Sent at once.",
            message_id="<wake-1@test>",
            next_attempt_at=timezone.now(),
        )
        while OutboundEmail.objects.get(pk=mail.pk).state != OutboundState.SENT:
            assert time.monotonic() - created < 5, "not sent: the worker was not woken"
            time.sleep(0.05)
        assert time.monotonic() - created < 1.5  # the polling interval is 30 s
        # Idle again, it stops on SIGTERM at once, not at the end of its 30 s wait.
        worker.terminate()
        worker.wait(timeout=10)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
