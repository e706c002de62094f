"""What an operator watches: the worker's heartbeat, each background queue's depth and age,
and the readiness of everything a request needs (docs/deploy.md, "Health and metrics").

Reads only; the one write is :func:`queue_retry_failed`, behind the administrators' page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage, storages
from django.db import connection, models
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.models import Lease, ProcessExit

logger = logging.getLogger("supportal.ops")

HEARTBEAT_PREFIX = "heartbeat:"


@dataclass(frozen=True)
class QueueSpec:
    """A background queue as an operator sees it: a DueWork model, the state its waiting rows
    have, the state of rows that failed for good (if any), and the column that dates a row."""

    name: str
    label: object
    model: str
    pending_state: str
    failed_state: str | None
    dated_by: str

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


QUEUES = (
    QueueSpec(
        "mail.outbox", _("Outgoing e-mail"), "mail.OutboundEmail", "pending", "failed", "created_at"
    ),
    QueueSpec(
        "mail.inbound",
        _("Received e-mail"),
        "mail.InboundMessage",
        "received",
        "failed",
        "received_at",
    ),
    QueueSpec(
        "notifications.pending",
        _("Notifications"),
        "notifications.PendingNotification",
        "pending",
        "failed",
        "created_at",
    ),
    QueueSpec(
        "notifications.sla",
        _("SLA notifications"),
        "notifications.PendingSlaNotification",
        "pending",
        "failed",
        "created_at",
    ),
    QueueSpec(
        "company.newsletter",
        _("Newsletter deliveries"),
        "company.NewsletterDelivery",
        "pending",
        None,
        "next_attempt_at",
    ),
)


@dataclass(frozen=True)
class QueueStatus:
    spec: QueueSpec
    depth: int
    failed: int
    oldest_at: datetime | None
    oldest_age_seconds: float | None


def queue_statuses(*, now: datetime | None = None) -> list[QueueStatus]:
    """Every queue's waiting rows, failed rows and oldest waiting row: one query per queue."""
    now = now or timezone.now()
    statuses = []
    for spec in QUEUES:
        pending = Q(state=spec.pending_state)
        aggregates = {
            "depth": Count("pk", filter=pending),
            "oldest_at": Min(spec.dated_by, filter=pending),
        }
        if spec.failed_state:
            aggregates["failed"] = Count("pk", filter=Q(state=spec.failed_state))
        row = spec.model_class()._default_manager.aggregate(**aggregates)
        oldest_at = row["oldest_at"]
        statuses.append(
            QueueStatus(
                spec=spec,
                depth=row["depth"],
                failed=row.get("failed", 0),
                oldest_at=oldest_at,
                oldest_age_seconds=max((now - oldest_at).total_seconds(), 0.0)
                if oldest_at
                else None,
            )
        )
    return statuses


def queue_retry_failed(name: str, *, now: datetime | None = None) -> int:
    """Put every row of queue ``name`` that failed for good back in line, due now.

    Returns how many rows. Side effects: those rows become pending with their attempts reset,
    so the next worker tick claims them.
    """
    spec = next((spec for spec in QUEUES if spec.name == name), None)
    if spec is None or not spec.failed_state:
        return 0
    count = (
        spec.model_class()
        ._default_manager.filter(state=spec.failed_state)
        .update(state=spec.pending_state, attempts=0, next_attempt_at=now or timezone.now())
    )
    logger.info("queue %s: %d failed row(s) put back in line", name, count)
    return count


def heartbeat_write(holder: str, *, now: datetime | None = None) -> None:
    """Record that worker ``holder`` is alive (a Lease row named ``heartbeat:<holder>``).

    Side effects: writes that row; removes other workers' heartbeats older than a day, so
    restarts do not pile rows up.
    """
    now = now or timezone.now()
    name = f"{HEARTBEAT_PREFIX}{holder}"[:100]
    updated = Lease.objects.filter(name=name).update(last_run_at=now, expires_at=now)
    if not updated:
        Lease.objects.filter(
            name__startswith=HEARTBEAT_PREFIX, last_run_at__lt=now - timedelta(days=1)
        ).delete()
        Lease.objects.update_or_create(
            name=name, defaults={"holder": holder[:100], "expires_at": now, "last_run_at": now}
        )


def heartbeat_last() -> datetime | None:
    """When any worker last reported alive, or None when none ever did."""
    return Lease.objects.filter(name__startswith=HEARTBEAT_PREFIX).aggregate(
        last=models.Max("last_run_at")
    )["last"]


PROCESS_EXITS_KEPT = timedelta(days=7)


def process_exit_record(
    process: str, *, host: str, status: int, ran_seconds: float, now: datetime | None = None
) -> None:
    """Record that ``serve``'s child ``process`` exited on its own (a crash, a kill -9) and is
    started again. Side effects: one ProcessExit row; rows older than a week are removed."""
    now = now or timezone.now()
    ProcessExit.objects.filter(exited_at__lt=now - PROCESS_EXITS_KEPT).delete()
    ProcessExit.objects.create(
        process=process[:20],
        host=host[:100],
        status=status,
        ran_seconds=ran_seconds,
        exited_at=now,
    )


def process_exits_by_process(*, since: datetime) -> dict[str, tuple[int, datetime]]:
    """``{process: (exits since ``since``, the last exit)}`` over every host."""
    rows = (
        ProcessExit.objects.filter(exited_at__gte=since)
        .values("process")
        .annotate(n=Count("pk"), last=models.Max("exited_at"))
    )
    return {row["process"]: (row["n"], row["last"]) for row in rows}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        logger.warning("readyz: database: %s", exc)
        return Check("database", False, f"{type(exc).__name__}: {exc}")
    return Check("database", True, connection.vendor)


def _check_cache() -> Check:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set("supportal:readyz", "1", timeout=10)
        ok = cache.get("supportal:readyz") == "1"
    except Exception as exc:
        logger.warning("readyz: cache: %s", exc)
        return Check("cache", False, f"{backend}: {type(exc).__name__}: {exc}")
    return Check("cache", ok, backend if ok else f"{backend}: a value written was not read back")


def _check_storage() -> Check:
    try:
        default_storage.exists("readyz-probe")
    except Exception as exc:
        logger.warning("readyz: storage: %s", exc)
        return Check("storage", False, f"{type(exc).__name__}: {exc}")
    return Check("storage", True, type(storages["default"]).__name__)


def _check_worker(now: datetime) -> Check:
    last = heartbeat_last()
    limit = settings.SUPPORTAL_READY_HEARTBEAT_SECONDS
    if last is None:
        return Check("worker", False, "no worker has ever reported")
    age = (now - last).total_seconds()
    return Check("worker", age <= limit, f"last heartbeat {age:.0f} s ago (limit {limit} s)")


def _check_queue(status: QueueStatus) -> Check:
    limit = settings.SUPPORTAL_READY_QUEUE_AGE_SECONDS
    age = status.oldest_age_seconds
    if age is None:
        return Check(status.spec.name, True, "empty")
    return Check(
        status.spec.name,
        age <= limit,
        f"{status.depth} waiting, oldest {age:.0f} s (limit {limit} s)",
    )


def readiness(*, now: datetime | None = None) -> list[Check]:
    """Every readiness check; the site is ready when all pass."""
    now = now or timezone.now()
    checks = [_check_database(), _check_cache(), _check_storage()]
    if not checks[0].ok:
        return checks  # the rest read the database
    try:
        checks.append(_check_worker(now))
        statuses = {status.spec.name: status for status in queue_statuses(now=now)}
        checks += [_check_queue(statuses["mail.outbox"]), _check_queue(statuses["mail.inbound"])]
    except Exception as exc:
        logger.warning("readyz: queues: %s", exc)
        checks.append(Check("queues", False, f"{type(exc).__name__}: {exc}"))
    return checks
