"""``Idempotency-Key`` on every POST (docs/api.md#idempotency), and the record of the changes
made with each token (docs/api.md#tokens).

A POST with the header is answered inside one transaction that first takes the key for the
token: the same key again returns the first answer and creates nothing, also when the two are
sent at once (the second waits for the first's commit). A 5xx answer is rolled back, key and
all, so the request can be retried. Without the header, nothing changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern

from supportal.accounts.models import ApiIdempotencyKey
from supportal.accounts.services import api_token_authenticate
from supportal.accounts.services.tokens import (
    api_idempotency_claim,
    api_idempotency_record,
    api_token_change_record,
)
from supportal.accounts.throttle import client_ip
from supportal.api.errors import problem
from supportal.core.errors import InvalidInput

HEADER = "Idempotency-Key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        # Uploads are parsed to files (the raw body is not kept): the fields and every file's
        # name and content make the fingerprint.
        for name, value in sorted(request.POST.lists()):
            digest.update(f"{name}={value!r}\n".encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                digest.update(f"{name}:{upload.name}:{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _answer(
    view: Callable[..., HttpResponse], request: HttpRequest, args: tuple, kwargs: dict
) -> HttpResponse:
    """The view's answer; a change it accepted is recorded for its token (docs/api.md#tokens)."""
    response = view(request, *args, **kwargs)
    token = getattr(request, "api_token", None)
    if token is not None and request.method not in SAFE_METHODS and response.status_code < 400:
        api_token_change_record(
            token=token,
            method=request.method or "",
            path=request.path,
            status_code=response.status_code,
            ip=client_ip(request),
        )
    return response


def _replay(earlier: ApiIdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(earlier.body),
        status=earlier.status_code or 409,
        content_type=earlier.content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        authorization = request.headers.get("Authorization", "")
        if request.method != "POST" or key is None or not authorization.startswith("Bearer "):
            if request.method not in SAFE_METHODS and "If-Match" in request.headers:
                # The version check and the change: one transaction (api/concurrency.py).
                with transaction.atomic():
                    response = _answer(view, request, args, kwargs)
                    if response.status_code >= 400:
                        transaction.set_rollback(True)
                    return response
            return _answer(view, request, args, kwargs)
        token = api_token_authenticate(authorization.removeprefix("Bearer "), ip=client_ip(request))
        if token is None:
            return view(request, *args, **kwargs)  # answers 401 as usual
        with transaction.atomic():
            try:
                earlier = api_idempotency_claim(
                    token=token, key=key, fingerprint=_fingerprint(request)
                )
            except InvalidInput as exc:
                return problem(422, exc.message, code="idempotency", field=exc.field)
            if earlier is not None:
                return _replay(earlier)
            response = _answer(view, request, args, kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            api_idempotency_record(
                token=token,
                key=key,
                status_code=response.status_code,
                content_type=response.get("Content-Type", ""),
                body=response.content,
            )
            return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def wrap_patterns(patterns: list) -> list:
    """Give every API view the Idempotency-Key handling."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = idempotent(pattern.callback)
    return patterns
