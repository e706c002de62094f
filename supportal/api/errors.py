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


# pydantic's messages are English; these say the same in the reader's language (by error type,
# with pydantic's context values). A type not listed keeps pydantic's text.
def _pydantic_messages() -> dict[str, str]:
    return {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "string_too_short": _("Enter at least %(min_length)s characters."),
        "string_too_long": _("Enter at most %(max_length)s characters."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "greater_than_equal": _("Enter a value of at least %(ge)s."),
        "greater_than": _("Enter a value greater than %(gt)s."),
        "less_than_equal": _("Enter a value of at most %(le)s."),
        "less_than": _("Enter a value less than %(lt)s."),
        "literal_error": _("Choose one of: %(expected)s."),
        "enum": _("Choose one of: %(expected)s."),
        "datetime_type": _("Enter a date and time (ISO 8601, e.g. 2026-12-02T14:40:00Z)."),
        "datetime_parsing": _("Enter a date and time (ISO 8601, e.g. 2026-12-02T14:40:00Z)."),
        "datetime_from_date_parsing": _(
            "Enter a date and time (ISO 8601, e.g. 2026-12-02T14:40:00Z)."
        ),
        "date_type": _("Enter a date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Enter a date (YYYY-MM-DD)."),
        "dict_type": _("Send an object."),
        "list_type": _("Send a list."),
        "json_invalid": _("The body is not valid JSON."),
        "model_attributes_type": _("Send an object."),
        "too_short": _("Send at least %(min_length)s items."),
        "too_long": _("Send at most %(max_length)s items."),
    }


def validation_message(error: dict[str, Any]) -> str:
    """pydantic's message for ``error``, in the reader's language where we know its type."""
    template = _pydantic_messages().get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", ""))
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return template % context if "%(" in template else template
    except (KeyError, ValueError):
        return str(error.get("msg", ""))


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
                "message": validation_message(error),
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
