"""Reads that may lag a little go to a read replica when one is configured (docs/deploy.md).

Code opts in per query with ``Model.objects.using(reporting_database())``: the SLA report and
its CSV exports, and search, read many rows and can live with a replica a second behind;
everything else, and every write, uses the primary.

Read-your-writes: a replica a second behind must not hide from someone what they have just
done (a request just created, then searched for). When a signed-in user's request writes (any
POST, PUT, PATCH, DELETE — the portal, the workspace or the API), ``ReadYourWritesMiddleware``
marks that user in the shared cache for ``SUPPORTAL_REPLICA_PIN_SECONDS``; while the mark lasts,
and during the write itself, that user's reports and searches read the primary. The mark is per
user, so it holds across web processes, browsers and API tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# The request being served (set by ReadYourWritesMiddleware); its user is known only later, in
# the view (the API authenticates there), so reporting_database() looks at it when called.
_request: ContextVar[HttpRequest | None] = ContextVar("supportal_request", default=None)


def pin_key(user_id: int) -> str:
    """The cache key marking ``user_id`` as having written lately."""
    return f"supportal:wrote:{user_id}"


def reporting_database() -> str:
    """The alias reports, exports and searches read from: ``replica`` when
    ``DATABASE_REPLICA_URL`` is set, unless the current request writes or its user wrote
    within ``SUPPORTAL_REPLICA_PIN_SECONDS``."""
    if "replica" not in settings.DATABASES:
        return "default"
    request = _request.get()
    if request is not None:
        if request.method not in SAFE_METHODS:
            return "default"
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and cache.get(pin_key(user.pk)):
            return "default"
    return "replica"


class ReadYourWritesMiddleware:
    """With a replica: marks a user who wrote, so their next reports read the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "replica" not in settings.DATABASES:
            return self.get_response(request)
        token = _request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        user = getattr(request, "user", None)
        if request.method not in SAFE_METHODS and user is not None and user.is_authenticated:
            cache.set(pin_key(user.pk), 1, timeout=settings.SUPPORTAL_REPLICA_PIN_SECONDS)
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
