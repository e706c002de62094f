"""Request ids and JSON logs (docs/deploy.md, "Logs").

Every request gets an id: the trusted proxy's ``X-Request-ID`` when ``SUPPORTAL_TRUSTED_PROXY``
is on, else a fresh one. It is answered in the ``X-Request-ID`` header and attached to every log
record written while the request runs, so one line in the proxy's log leads to the application's.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse

request_id_var: ContextVar[str] = ContextVar("supportal_request_id", default="")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        if not (settings.SUPPORTAL_TRUSTED_PROXY and _SAFE_ID.match(incoming)):
            incoming = uuid.uuid4().hex
        # Read through request_id_var (log lines, the audit log), set for the whole request.
        token = request_id_var.set(incoming)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = incoming
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the exception, and
    any ``extra`` fields the caller passed."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
