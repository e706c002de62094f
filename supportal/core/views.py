"""Probes for load balancers and operators: liveness, readiness, metrics (docs/deploy.md).

Anonymous callers learn only "ok" or "unavailable"; the detail (which check failed, and why) is
for a caller with the operations token (``Authorization: Bearer <SUPPORTAL_OPS_TOKEN>``) or a
logged-in administrator, since error texts can name hosts and users.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supportal.core import ops


def _has_ops_token(request: HttpRequest) -> bool:
    token = settings.SUPPORTAL_OPS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given, token)


def may_see_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return _has_ops_token(request) or bool(user and user.is_authenticated and user.is_staff)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools that ask for the classic name get our own icon (the pages link it);
    resolved per request, so a stale static manifest never breaks the URL configuration."""
    return HttpResponsePermanentRedirect(static("supportal/favicon.svg"))


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process answers. Touches nothing else, so a database outage does not make
    an orchestrator restart healthy web processes."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache, storage, the worker's heartbeat, the oldest waiting mail."""
    checks = ops.readiness()
    ready = all(check.ok for check in checks)
    body: dict[str, object] = {"status": "ok" if ready else "unavailable"}
    if may_see_details(request):
        body["checks"] = {check.name: {"ok": check.ok, "detail": check.detail} for check in checks}
    return JsonResponse(body, status=200 if ready else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding the operations token; otherwise "not
    found", so the endpoint does not advertise itself."""
    if not settings.SUPPORTAL_METRICS or not _has_ops_token(request):
        raise Http404
    from supportal.core import metrics as metrics_module

    body, content_type = metrics_module.render()
    return HttpResponse(body, content_type=content_type)
