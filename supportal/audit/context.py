"""Where the current action comes from: the request's address, browser and id, and the API
token that authenticated it. Set by ``AuditContextMiddleware`` (and by the API's token check),
read by ``audit.record`` when its caller passes no ``request_meta``. Services thus need no
request argument, and a worker's entries simply have no address."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse

from supportal.core.network import client_ip
from supportal.core.observability import request_id_var


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    token_label: str = ""


current_meta: ContextVar[RequestMeta | None] = ContextVar("supportal_audit_meta", default=None)


def request_meta_of(request: HttpRequest | None) -> RequestMeta:
    if request is None:
        return RequestMeta(request_id=request_id_var.get())
    return RequestMeta(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        request_id=request_id_var.get(),
    )


def token_note(label: str) -> None:
    """The API token that authenticated this request (its name and prefix, never its text)."""
    meta = current_meta.get() or RequestMeta(request_id=request_id_var.get())
    current_meta.set(replace(meta, token_label=label[:120]))


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_meta.set(request_meta_of(request))
        try:
            return self.get_response(request)
        finally:
            current_meta.reset(token)
