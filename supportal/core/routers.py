"""Reads that may lag a little go to a read replica when one is configured (docs/deploy.md).

Code opts in per query with ``Model.objects.using(reporting_database())``: the SLA report and
its CSV exports, and search, read many rows and can live with a replica a second behind;
everything else, and every write, uses the primary.

Read-your-writes: a replica a second behind must not hide from someone what they have just
done (a request just created, then searched for). A browser that sent a write (any POST, PUT,
PATCH, DELETE) carries the cookie ``supportal_wrote`` for ``SUPPORTAL_REPLICA_PIN_SECONDS``;
while it does, ``ReadYourWritesMiddleware`` keeps that browser's reports and searches on the
primary. The cookie only ever moves reads to the primary, so a forged one costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PIN_COOKIE = "supportal_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# True while the current request must read the primary (set by ReadYourWritesMiddleware).
_on_primary: ContextVar[bool] = ContextVar("supportal_reads_on_primary", default=False)


def reporting_database() -> str:
    """The alias reports, exports and searches read from: ``replica`` when
    ``DATABASE_REPLICA_URL`` is set and the current request has not written lately."""
    if "replica" not in settings.DATABASES or _on_primary.get():
        return "default"
    return "replica"


class ReadYourWritesMiddleware:
    """Keeps a browser's replica reads on the primary during and shortly after its writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "replica" not in settings.DATABASES:
            return self.get_response(request)
        now = time.time()
        writes = request.method not in SAFE_METHODS
        try:
            wrote_at = float(request.COOKIES.get(PIN_COOKIE, ""))
        except ValueError:
            wrote_at = 0.0
        recent = 0 <= now - wrote_at < settings.SUPPORTAL_REPLICA_PIN_SECONDS
        token = _on_primary.set(writes or recent)
        try:
            response = self.get_response(request)
        finally:
            _on_primary.reset(token)
        if writes:
            response.set_cookie(
                PIN_COOKIE,
                f"{now:.3f}",
                max_age=settings.SUPPORTAL_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaRouter:
    """Keeps the schema and every write on the primary; a replica is read-only."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return None  # the primary, unless a query names the replica

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
