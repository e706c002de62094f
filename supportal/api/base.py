"""The API object: token authentication, the per-token budget, scopes and the error shape.

Every request is authenticated by a personal access token (``Authorization: Bearer``) and acts
as the token's user: ``request.user`` is that user, so the selectors and services apply the
same rules as in the web (docs/api.md).
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer

from supportal.accounts.models import ApiToken, User
from supportal.accounts.services import api_token_authenticate
from supportal.accounts.throttle import api_budget_take, client_ip
from supportal.api import errors
from supportal.api.errors import ApiProblem
from supportal.audit.context import token_note

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    openapi_description = "A personal access token from your profile (Profile → API tokens)."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        ip = client_ip(request)
        if ip:
            # Per address too, counted before the token is checked: many tokens (or guesses)
            # from one address share one budget.
            per_ip = settings.SUPPORTAL_API_REQUESTS_PER_MINUTE_PER_ADDRESS
            allowed, _remaining, reset = api_budget_take(f"ip:{ip}", per_minute=per_ip)
            if not allowed:
                raise ApiProblem(
                    429,
                    _("Too many requests from your address: wait %(seconds)d seconds.")
                    % {"seconds": reset},
                    code="throttled",
                    headers={"Retry-After": str(reset)},
                )
        found = api_token_authenticate(token, ip=ip)
        if found is None:
            return None
        limit = settings.SUPPORTAL_API_REQUESTS_PER_MINUTE
        allowed, remaining, reset = api_budget_take(found.prefix, per_minute=limit)
        request.api_rate = (limit, remaining, reset)  # type: ignore[attr-defined]
        if not allowed:
            raise ApiProblem(
                429,
                _("Too many requests with this token: wait %(seconds)d seconds.")
                % {"seconds": reset},
                code="throttled",
                headers={"Retry-After": str(reset), **_rate_headers(limit, remaining, reset)},
            )
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ApiProblem(
                403,
                _("This token may only read. Create one with the write scope to change things."),
                code="scope",
            )
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        # The audit log names the token behind each change made through it (docs/audit.md).
        token_note(f"{found.name} ({found.prefix})")
        return found


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }


class SupportalApi(NinjaAPI):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The description as JSON, for each root path and language (docs/api.md, "Speed").
        self._openapi_kept: dict[tuple[str, str | None], str] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The description, built once per process for each root path and language: the
        operations and their schemas are fixed when the process starts, and building it costs
        about a quarter of a second of CPU, which every request of ``openapi.json`` (anyone's)
        paid. Each caller gets a fresh copy (read back from the kept JSON, under 1 ms), so no
        caller can change what the next one gets (docs/api.md, "Speed")."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        kept = self._openapi_kept.get(key)
        if kept is None:
            schema = self._openapi_schema_build(path_prefix)
            kept = self._openapi_kept[key] = json.dumps(schema, cls=DjangoJSONEncoder)
        return cast(OpenAPISchema, json.loads(kept))

    def _openapi_schema_build(self, path_prefix: str) -> OpenAPISchema:
        """The description, with every refusal documented as what it is:
        ``application/problem+json`` (docs/api.md#errors)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        rate = getattr(request, "api_rate", None)
        if rate is not None:
            for name, value in _rate_headers(*rate).items():
                response[name] = value
        etag = getattr(request, "api_etag", None)
        if etag is not None:
            response["ETag"] = etag
        return response


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


api = SupportalApi(
    title="Supportal API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url="/docs",
    # The validator badge would load from outside: off (the page uses only our static files).
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    description=(
        "The REST API of Supportal. Authenticate with a personal access token: "
        "`Authorization: Bearer spt_…`. Every call acts as the token's user and sees exactly "
        "what that user sees in the web; what one may not see answers 404. Errors are problem "
        "details (`application/problem+json`)."
    ),
)
errors.install(api)
