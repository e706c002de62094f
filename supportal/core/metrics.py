"""Prometheus metrics (docs/deploy.md, "Health and metrics").

Two kinds:

- per request, counted in the web process by :class:`MetricsMiddleware`: requests by view and
  status, and a latency histogram; log-in failures from Django's ``user_login_failed`` signal.
  With several web processes, gunicorn's workers share them through prometheus-client's
  multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``run_web``);
- read from the database when scraped, so every process answers the same: queue depths and
  ages, mails in and out by state, SLA warnings and breaches, the worker's heartbeat.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from supportal.core import ops

REQUESTS = Counter(
    "supportal_http_requests_total",
    "HTTP requests answered, by view and status.",
    ["view", "status"],
)
LATENCY = Histogram(
    "supportal_http_request_duration_seconds",
    "Time to answer a request, by view.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LOGIN_FAILURES = Counter("supportal_login_failures_total", "Log-in attempts refused.")


def login_failed(sender: object, **kwargs: object) -> None:
    if settings.SUPPORTAL_METRICS:
        LOGIN_FAILURES.inc()


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.SUPPORTAL_METRICS:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The URL's name, never the path: paths carry ids and would make endless series.
        view = (match.view_name if match else "") or "unmatched"
        REQUESTS.labels(view=view, status=str(response.status_code)).inc()
        LATENCY.labels(view=view).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    """Gauges read at scrape time: what is waiting, what went through, what the SLA recorded."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        depth = GaugeMetricFamily(
            "supportal_queue_depth", "Rows waiting in a background queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "supportal_queue_failed", "Rows that failed for good.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "supportal_queue_oldest_age_seconds",
            "Age of the oldest waiting row (0 when empty).",
            labels=["queue"],
        )
        for status in ops.queue_statuses(now=now):
            depth.add_metric([status.spec.name], status.depth)
            failed.add_metric([status.spec.name], status.failed)
            age.add_metric([status.spec.name], status.oldest_age_seconds or 0.0)
        yield from (depth, failed, age)

        mails_out = GaugeMetricFamily(
            "supportal_mails_out", "Outgoing e-mails by state.", labels=["state"]
        )
        for row in (
            apps.get_model("mail", "OutboundEmail").objects.values("state").annotate(n=Count("pk"))
        ):
            mails_out.add_metric([row["state"]], row["n"])
        yield mails_out
        mails_in = GaugeMetricFamily(
            "supportal_mails_in", "Received e-mails by state.", labels=["state"]
        )
        for row in (
            apps.get_model("mail", "InboundMessage").objects.values("state").annotate(n=Count("pk"))
        ):
            mails_in.add_metric([row["state"]], row["n"])
        yield mails_in
        sla = GaugeMetricFamily(
            "supportal_sla_events", "SLA warnings and breaches recorded.", labels=["kind"]
        )
        events = apps.get_model("sla", "SlaEvent").objects.values("kind").annotate(n=Count("pk"))
        for event in events:
            sla.add_metric([event["kind"]], event["n"])
        yield sla
        last = ops.heartbeat_last()
        heartbeat = GaugeMetricFamily(
            "supportal_worker_heartbeat_age_seconds",
            "Seconds since a worker last reported alive (-1: never).",
        )
        heartbeat.add_metric([], (now - last).total_seconds() if last else -1)
        yield heartbeat
        yield from _process_exits(now)


def _process_exits(now: datetime) -> Iterator[GaugeMetricFamily]:
    """Children of ``serve`` that died and were started again (ops.process_exit_record)."""
    exits = GaugeMetricFamily(
        "supportal_process_exits_recent",
        "Processes of serve that exited on their own and were restarted, in the last 24 hours.",
        labels=["process"],
    )
    age = GaugeMetricFamily(
        "supportal_process_last_exit_age_seconds",
        "Seconds since the process last exited on its own (within a week).",
        labels=["process"],
    )
    week = ops.process_exits_by_process(since=now - ops.PROCESS_EXITS_KEPT)
    day = ops.process_exits_by_process(since=now - timedelta(days=1))
    for process, (_count, last) in sorted(week.items()):
        exits.add_metric([process], day.get(process, (0, last))[0])
        age.add_metric([process], (now - last).total_seconds())
    yield from (exits, age)


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_database_registry())
    return body, CONTENT_TYPE_LATEST


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return registry
