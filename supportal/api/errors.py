"""Errors as problem details (docs/api.md#errors): one JSON shape for every refusal.

``{"type": ..., "title": ..., "status": ..., "detail": ..., "code": ..., "field": ...}`` with
``Content-Type: application/problem+json``. ``detail`` is the same translated message the web
shows (the services' DomainError message); 404 is the answer for what one may not see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from supportal.core.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionRefused,
    TransitionRefused,
)

PROBLEM_TYPE = "https://supportal.invalid/problems/"  # a URI that names, not one to fetch


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    title: str = "",
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title or detail,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field:
        body["field"] = field
    if extra:
        body.update(extra)
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ApiProblem(Exception):
    """An API-layer refusal (throttled, bad token, wrong scope) with its status."""

    def __init__(
        self, status: int, detail: str, *, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers or {}


STATUS_OF: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (PermissionRefused, 403),
    (TransitionRefused, 409),
    (InvalidInput, 422),
]


def _field_name(loc: tuple | list) -> str:
    """``("body", "body", "summary")`` → ``summary``: the name the caller sent."""
    parts = [str(part) for part in loc[1:]]
    if parts and parts[0] in {"body", "filters", "query"}:
        parts = parts[1:]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = next((s for cls, s in STATUS_OF if isinstance(exc, cls)), 400)
        return problem(status, exc.message, code=exc.code, field=getattr(exc, "field", None))

    @api.exception_handler(ApiProblem)
    def api_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        return problem(exc.status, exc.detail, code=exc.code, headers=exc.headers)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            _("Send a valid personal access token: Authorization: Bearer <token>."),
            code="unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="supportal"'},
        )

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_name(error.get("loc", ())),
                "message": str(error.get("msg", "")),
            }
            for error in exc.errors
        ]
        first = errors[0] if errors else {"field": "", "message": ""}
        detail = _("The request is not valid: %(field)s: %(message)s") % {
            "field": first["field"] or _("body"),
            "message": first["message"],
        }
        return problem(
            422, detail, code="invalid", field=first["field"] or None, extra={"errors": errors}
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(exc.status_code, str(exc), code="http")
