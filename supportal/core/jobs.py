"""The one mechanism for work that must happen later: due rows, leases and the worker registry.

Work that must happen later is a row with a state, a next-attempt time and an attempt count
(the outbox, the inbox, deadlines). A worker claims due rows with :func:`claim_due`, handles
them outside any transaction and records the outcome. Any number of workers can run: each row
is claimed by one of them, and a worker that crashes leaves its rows to be claimed again once
the claim's lease has passed. Periodic jobs (mail polling, sweeps) run under a :class:`Lease` so
one worker at a time runs each.

Apps fill the registry in their ``AppConfig.ready()``::

    register_queue("mail.outbox", outbox_send_due)
    register_periodic("tickets.auto_close", tickets_auto_close, every=timedelta(minutes=5))

and ``manage.py run_worker`` calls :func:`worker_tick` in a loop.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.db.models.sql import Query
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from supportal.core.models import DueWork, Lease
from supportal.core.statements import KeptStatement

if TYPE_CHECKING:
    import psycopg  # PostgreSQL only: imported where a worker listens

logger = logging.getLogger("supportal.worker")

M = TypeVar("M", bound=models.Model)
W = TypeVar("W", bound=DueWork)

Handler = Callable[[datetime], int]

DEFAULT_RETRY_BASE_DURATION = timedelta(minutes=1)
DEFAULT_RETRY_CAP_DURATION = timedelta(hours=1)
DEFAULT_PERIODIC_LEASE_DURATION = timedelta(minutes=10)


# PostgreSQL: joined to an UPDATE (``UPDATE … FROM`` this), it turns off the wait for the disk
# at the commit of the statement's transaction, as ``commit_without_waiting_for_disk`` does,
# without a statement of its own (an autocommitted UPDATE is its own transaction).
WITHOUT_WAITING_FOR_DISK = (
    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS without_waiting_for_disk"
)


def commit_without_waiting_for_disk(using: str = "default") -> None:
    """PostgreSQL: the current transaction's commit does not wait for its WAL to reach the
    disk (``synchronous_commit`` off for this transaction alone). The commit is still atomic
    and visible to others at once; a crash of the machine in the fraction of a second before
    the WAL writer flushes it loses it, and every later commit. The wait it saves is the
    disk's, 4–7 ms a commit on the shared machine (docs/performance.md, "Seventh round: the
    e-mail intake"). Elsewhere nothing changes."""
    db = connections[using]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def claim_due(
    queryset: models.QuerySet[M],
    *,
    now: datetime,
    limit: int,
    lease_duration: timedelta,
    is_durable: bool = True,
    kept_as: str = "",
) -> list[M]:
    """Claim up to ``limit`` rows of ``queryset`` that are due at ``now``, oldest first.

    The contract: the model has ``next_attempt_at`` (a datetime), ``attempts`` (an integer),
    ``claim_token`` (a string of at least 32 characters) and a ``state``; ``queryset`` selects
    the rows that may be claimed, typically ``Model.objects.filter(state=PENDING)`` — this
    function adds only ``next_attempt_at <= now``, so a queryset that does not narrow the state
    would claim finished rows too.

    Side effects: in one transaction, each claimed row gets a fresh ``claim_token``,
    ``attempts + 1`` and ``next_attempt_at = now + lease_duration``. The caller handles the rows
    after this returns (outside the transaction), then records the outcome with an UPDATE
    filtered on ``claim_token``, so a worker whose lease ran out cannot overwrite the outcome of
    the worker that claimed the row after it. A caller that crashes leaves the row pending; it
    becomes due again when the lease passes, with its attempt counted.

    ``is_durable=False`` (PostgreSQL): the claim's commit does not wait for the disk
    (:func:`commit_without_waiting_for_disk`). Only for work whose handling writes nothing
    outside the database: a crash of the machine that loses the claim leaves the rows
    claimable at once, as if never claimed, and loses whatever was committed after it too
    (the WAL is written in order).

    ``kept_as`` (PostgreSQL): the queue's name (its ``queryset`` always alike): compiled once.
    """
    if limit <= 0:
        return []
    token = uuid.uuid4().hex
    if connections[queryset.db].vendor == "postgresql":
        until, durable = now + lease_duration, is_durable
        return _claim_due_at_once(
            queryset, token, now=now, limit=limit, until=until, durable=durable, kept_as=kept_as
        )
    with transaction.atomic():
        # PostgreSQL: rows another worker has locked are skipped, not waited for, so workers
        # spread over different rows. SQLite ignores FOR UPDATE; there the IMMEDIATE
        # transaction holds the database write lock from BEGIN, so claims are serialised.
        ids = list(
            queryset.filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        # Conditional on still matching (still pending, still due): a row finished or claimed
        # by another worker since the SELECT is left alone.
        queryset.filter(pk__in=ids, next_attempt_at__lte=now).update(
            claim_token=token,
            attempts=F("attempts") + 1,
            next_attempt_at=now + lease_duration,
        )
        return list(queryset.model._default_manager.filter(claim_token=token).order_by("pk"))


def _claim_due_at_once(
    queryset: models.QuerySet[M],
    token: str,
    *,
    now: datetime,
    limit: int,
    until: datetime,
    durable: bool,
    kept_as: str,
) -> list[M]:
    """PostgreSQL: :func:`claim_due`'s claim as one statement, ``UPDATE … WHERE id IN (SELECT …
    FOR UPDATE SKIP LOCKED) RETURNING``: the same rows, skipped and locked alike, without the
    SELECT of their ids and the SELECT of the claimed rows (docs/performance.md, "Seventh
    round"). Rows another worker finished or claimed meanwhile are not locked, so not taken.
    One statement, so autocommitted on its own, without BEGIN and COMMIT (inside a caller's
    transaction it is part of that transaction); with ``kept_as``, its SQL is compiled once
    per process (docs/performance.md, "Ninth round: the e-mail intake")."""
    model = queryset.model
    connection = connections[queryset.db]
    key = (connection.alias, connection.vendor, kept_as, model, limit, durable)
    kept = _CLAIMS.get(key) if kept_as else None
    if kept is None:
        kept = _claim_statement(queryset, connection, limit=limit, durable=durable)
        if kept_as:
            _CLAIMS[key] = kept
    sql, params = kept.sql({"now": now}, using=connection.alias, is_kept=bool(kept_as))
    until_value = connection.ops.adapt_datetimefield_value(until)
    with connection.cursor() as cursor:
        cursor.execute(sql, [token, until_value, *params])
        rows = cursor.fetchall()
    return sorted(_instances(model, connection, rows), key=lambda row: row.pk)


@dataclass(frozen=True)
class _ClaimStatement:
    """The claim's UPDATE around the SELECT of the due rows, which is kept
    (``core.statements``): run with each claim's moment."""

    head: str
    tail: str
    due: _ForUpdate

    def sql(self, values: Mapping[str, Any], *, using: str, is_kept: bool) -> tuple[str, list[Any]]:
        if is_kept:
            chosen, params = self.due.sql(None, values, using=using)
        else:
            chosen, params = self.due.once(values, using=using)
        return f"{self.head}{chosen}{self.tail}", list(params)


# (database, kept_as, model, limit, durability): a queue's claim, kept.
_CLAIMS: dict[tuple[object, ...], _ClaimStatement] = {}


def _claim_statement(
    queryset: models.QuerySet, connection: BaseDatabaseWrapper, *, limit: int, durable: bool
) -> _ClaimStatement:
    def build(_shape: None, values: Mapping[str, Any]) -> models.QuerySet:
        return (
            queryset.filter(next_attempt_at__lte=values["now"])
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values("pk")[:limit]
        )

    meta, quote = queryset.model._meta, connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields if field.column)
    key = quote(str(meta.pk.column))
    # Our own table's and columns' names: no input.
    head = f"UPDATE {quote(meta.db_table)} SET claim_token = %s,"  # noqa: S608
    head += (
        " attempts = attempts + 1, next_attempt_at = %s"
        f"{'' if durable else WITHOUT_WAITING_FOR_DISK} WHERE {key} IN ("
    )
    return _ClaimStatement(head, f") RETURNING {columns}", _ForUpdate(build))


class _ForUpdate(KeptStatement):
    """A kept ``SELECT … FOR UPDATE``, which the ORM compiles only in a transaction: out of
    one, it is compiled in a block that sends nothing (no statement runs there, so neither
    BEGIN nor COMMIT reaches the server); the claim then runs autocommitted."""

    def sql(
        self, shape: Any, values: Mapping[str, Any], *, using: str = "default"
    ) -> tuple[str, tuple[object, ...]]:
        try:
            return super().sql(shape, values, using=using)
        except TransactionManagementError:  # not compiled yet (then kept), or not keepable
            with transaction.atomic(using=using):
                return super().sql(shape, values, using=using)

    def once(self, values: Mapping[str, Any], *, using: str) -> tuple[str, tuple[object, ...]]:
        """Compiled for these values alone (a queue whose claim is not kept)."""
        compiler = self._build(None, values).query.get_compiler(using=using)
        with transaction.atomic(using=using):  # nothing sent, as above
            sql, params = compiler.as_sql()
        return sql, tuple(params)


def _instances(model: type[M], connection: BaseDatabaseWrapper, rows: list) -> list[M]:
    """The rows of a ``RETURNING`` of every concrete column as instances, as ``raw`` makes
    them: each value through its field's converters, then ``from_db``."""
    fields = [field for field in model._meta.concrete_fields if field.column]
    compiler = connection.ops.compiler("SQLCompiler")(Query(model), connection, connection.alias)
    converters = compiler.get_converters([field.get_col(model._meta.db_table) for field in fields])
    if converters:
        rows = list(compiler.apply_converters(rows, converters))
    names = [field.attname for field in fields]
    return [model.from_db(connection.alias, names, list(row)) for row in rows]


def claim_renew(rows: Sequence[DueWork], *, lease_duration: timedelta) -> int:
    """Extend the claim on ``rows`` — those of a batch this worker has not handled yet — to
    ``lease_duration`` from now, if it still holds them (same ``claim_token``).

    A worker renews while a long batch runs, so the lease can be short: a worker killed
    mid-batch leaves its rows to others within one lease, not a quarter of an hour
    (docs/security.md, "Workers"). Returns how many rows were renewed."""
    if not rows:
        return 0
    model = type(rows[0])
    tokens = {row.claim_token for row in rows}
    return model._default_manager.filter(
        pk__in=[row.pk for row in rows], claim_token__in=tokens
    ).update(next_attempt_at=timezone.now() + lease_duration)


def claimed_in_turn(rows: Sequence[W], *, lease_duration: timedelta) -> Iterator[W]:
    """Yield the claimed ``rows`` one at a time, keeping the claim on those not yet handled.

    Before each row, once a third of ``lease_duration`` has passed since the claim (or the last
    renewal), the rest of the batch — this row included — is renewed with :func:`claim_renew`.
    So a batch may take many leases while each row need only finish within one, and a worker
    killed mid-batch leaves its unhandled rows to others after one lease (docs/security.md,
    "Workers"). A fast batch costs no extra query."""
    renewed_at = time.monotonic()
    for index, row in enumerate(rows):
        if time.monotonic() - renewed_at > lease_duration.total_seconds() / 3:
            claim_renew(rows[index:], lease_duration=lease_duration)
            renewed_at = time.monotonic()
        yield row


def retry_delay(
    attempts: int,
    *,
    base_duration: timedelta = DEFAULT_RETRY_BASE_DURATION,
    cap_duration: timedelta = DEFAULT_RETRY_CAP_DURATION,
) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling from ``base_duration``
    (1, 2, 4, ... minutes by default), never more than ``cap_duration``. Pure."""
    exponent = min(max(attempts - 1, 0), 32)  # bounded, so huge counts cannot overflow
    return min(base_duration * (2**exponent), cap_duration)


def lease_acquire(
    name: str, *, holder: str, duration: timedelta, now: datetime | None = None
) -> bool:
    """Take (or renew) the lease ``name`` for ``holder`` until ``now + duration``.

    Returns True when ``holder`` now holds the lease: it was free, expired, or already
    ``holder``'s. Side effects: updates or creates the :class:`Lease` row.
    """
    now = now or timezone.now()
    expires_at = now + duration
    # One conditional UPDATE decides between racing workers: only one can match "expired".
    taken = (
        Lease.objects.filter(name=name)
        .filter(models.Q(expires_at__lte=now) | models.Q(holder=holder))
        .update(holder=holder, expires_at=expires_at)
    )
    if taken:
        return True
    if Lease.objects.filter(name=name).exists():
        return False
    try:
        # The savepoint keeps an enclosing PostgreSQL transaction usable if we lose the race.
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=expires_at)
    except IntegrityError:
        return False  # another worker created the row first; it holds the lease
    return True


def lease_release(name: str, *, holder: str, now: datetime | None = None) -> None:
    """Give up the lease ``name`` if ``holder`` holds it, so another worker may take it at once.

    Side effects: sets the row's ``expires_at`` to ``now``; the row (and ``last_run_at``) stays.
    """
    Lease.objects.filter(name=name, holder=holder).update(expires_at=now or timezone.now())


@dataclass(frozen=True)
class QueueJob:
    name: str
    handler: Handler


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    handler: Handler
    every: timedelta
    lease_duration: timedelta

    @property
    def lease_name(self) -> str:
        return f"periodic:{self.name}"


@dataclass
class Registry:
    """What the worker runs. Apps register in ``AppConfig.ready()``; names are unique, and
    registering a name again replaces the job (``ready()`` may run more than once)."""

    queues: dict[str, QueueJob] = field(default_factory=dict)
    periodics: dict[str, PeriodicJob] = field(default_factory=dict)


registry = Registry()


def register_queue(name: str, handler: Handler) -> None:
    """Run ``handler(now) -> rows handled`` on every worker tick, in every worker.

    The handler claims its own due rows (with :func:`claim_due`), so running it in many workers
    at once is safe. A handler that returns a positive count makes the worker tick again
    without sleeping.
    """
    registry.queues[name] = QueueJob(name=name, handler=handler)


def register_periodic(
    name: str,
    handler: Handler,
    *,
    every: timedelta,
    lease_duration: timedelta = DEFAULT_PERIODIC_LEASE_DURATION,
) -> None:
    """Run ``handler(now)`` at most once per ``every``, in one worker at a time.

    The run happens under the lease ``periodic:<name>``; ``lease_duration`` must exceed the
    longest run, or a second worker may start while the first is still running. The last run
    time is kept in ``Lease.last_run_at``, so the schedule survives restarts.
    """
    registry.periodics[name] = PeriodicJob(
        name=name, handler=handler, every=every, lease_duration=lease_duration
    )


def _last_run_at(lease_name: str) -> datetime | None:
    return Lease.objects.filter(name=lease_name).values_list("last_run_at", flat=True).first()


def _is_due(job: PeriodicJob, now: datetime) -> bool:
    last_run_at = _last_run_at(job.lease_name)
    return last_run_at is None or now >= last_run_at + job.every


def periodic_run_if_due(job: PeriodicJob, *, holder: str, now: datetime) -> int | None:
    """Run ``job`` if it is due and no other worker holds its lease.

    Returns the handler's count, or None when it did not run. Side effects: takes and releases
    the job's lease and records ``last_run_at`` — also when the handler raises (the exception
    propagates), so a failing job waits ``every`` before its next try instead of running on
    every tick.
    """
    # A plain read first, so an idle worker does not take the write lock on every tick.
    if not _is_due(job, now):
        return None
    if not lease_acquire(job.lease_name, holder=holder, duration=job.lease_duration, now=now):
        return None
    try:
        # Read again under the lease: another worker may have run the job between our first
        # read and our acquire.
        if not _is_due(job, now):
            return None
        try:
            count = job.handler(now)
        finally:
            Lease.objects.filter(name=job.lease_name, holder=holder).update(last_run_at=now)
        # One line per run (at most once per interval), saying which worker ran it.
        logger.info("periodic job %s ran on worker %s: %s", job.name, holder, count)
        return count
    finally:
        lease_release(job.lease_name, holder=holder, now=now)


def worker_tick(*, holder: str, now: datetime | None = None) -> dict[str, int]:
    """Run every registered queue once and every due periodic job, as ``holder``.

    Returns ``{job name: rows handled}`` for the jobs that ran. A job that raises is logged and
    left out; the others still run. Side effects: whatever the handlers do.
    """
    now = now or timezone.now()
    handled: dict[str, int] = {}
    database_failed = False
    for queue in list(registry.queues.values()):
        try:
            handled[queue.name] = int(queue.handler(now) or 0)
        except DatabaseError:
            database_failed = True
        except Exception:
            logger.exception("queue %s failed", queue.name)
    for periodic in list(registry.periodics.values()):
        try:
            count = periodic_run_if_due(periodic, holder=holder, now=now)
        except DatabaseError:
            database_failed = True
            continue
        except Exception:
            logger.exception("periodic job %s failed", periodic.name)
            continue
        if count is not None:
            handled[periodic.name] = int(count or 0)
    _database_outage_log(failed=database_failed)
    return handled


_outage: dict[str, datetime | None] = {"since": None}


def _database_outage_log(*, failed: bool) -> None:
    """One line when the database becomes unreachable and one when it is back — not a trace
    per job per tick (docs/security.md, Infrastructure)."""
    if failed and _outage["since"] is None:
        _outage["since"] = timezone.now()
        logger.error("database unavailable; the worker retries quietly until it is back")
        logger.debug("details", exc_info=True)
    elif not failed and _outage["since"] is not None:
        logger.warning("database available again (out since %s)", _outage["since"])
        _outage["since"] = None


# --- Waking workers ------------------------------------------------------------------------
# On PostgreSQL a new row of due work sends NOTIFY on this channel, inside the transaction that
# writes it (so it is delivered on commit, and never for a rolled-back row); idle workers LISTEN
# and tick at once instead of after their polling interval. SQLite has no such channel: there
# workers poll every SUPPORTAL_WORKER_INTERVAL seconds.
WAKE_CHANNEL = "supportal_work"
# PostgreSQL: joined to a statement (``… FROM (VALUES …) AS v,`` this), the NOTIFY of
# ``wake_workers`` sent by the statement itself, delivered when its transaction commits.
WAKING_WORKERS = f"(SELECT pg_notify('{WAKE_CHANNEL}', '')) AS waking_workers"


def wake_workers(using: str = "default") -> None:
    """Side effects: on PostgreSQL, a NOTIFY delivered when the current transaction commits."""
    db = connections[using]
    if db.vendor != "postgresql":
        return
    with db.cursor() as cursor:
        cursor.execute(f"NOTIFY {WAKE_CHANNEL}")


def _wake_on_new_work(
    sender: type,
    instance: models.Model,
    created: bool,
    using: str = "default",
    **kwargs: object,
) -> None:
    if created:
        wake_workers(using or "default")


def connect_wake_signals() -> None:
    """Send the wake-up after every new row of every DueWork model (core's AppConfig.ready)."""
    from django.apps import apps
    from django.db.models.signals import post_save

    from supportal.core.models import DueWork

    for model in apps.get_models():
        if issubclass(model, DueWork):
            post_save.connect(
                _wake_on_new_work, sender=model, dispatch_uid=f"supportal.wake.{model._meta.label}"
            )


# How soon an idle worker that listens for new work notices it was asked to stop.
STOP_CHECK_SECONDS = 1.0


class WakeListener:
    """An idle worker's wait: returns early when PostgreSQL says new work was committed."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self._connection: psycopg.Connection | None = None

    @property
    def available(self) -> bool:
        """True on PostgreSQL; elsewhere the caller sleeps its polling interval instead."""
        return connections[self.using].settings_dict["ENGINE"].endswith("postgresql")

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True when woken by new work. A set ``stop`` (the
        worker's SIGTERM) ends the wait within a second: the database's wait does not return
        on a signal, so it is taken in slices of at most ``STOP_CHECK_SECONDS``."""
        stop = stop or threading.Event()
        settings_dict = connections[self.using].settings_dict
        try:
            if self._connection is None:
                import psycopg

                self._connection = psycopg.connect(
                    dbname=settings_dict["NAME"],
                    user=settings_dict["USER"] or None,
                    password=settings_dict["PASSWORD"] or None,
                    host=settings_dict["HOST"] or None,
                    port=settings_dict["PORT"] or None,
                    autocommit=True,
                )
                self._connection.execute(f"LISTEN {WAKE_CHANNEL}")
            deadline = time.monotonic() + timeout
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                slice_ = min(left, STOP_CHECK_SECONDS)
                for _notify in self._connection.notifies(timeout=slice_, stop_after=1):
                    return True
            return False
        except Exception:
            logger.exception("listening for new work failed; trying again after a pause")
            self.close()
            stop.wait(timeout)
            return False

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
