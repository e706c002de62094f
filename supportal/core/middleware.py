"""The Content-Security-Policy of every page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


# Longer than any value a page of ours sends in a query string; typed text travels in POST bodies
# (whose size Django caps with DATA_UPLOAD_MAX_MEMORY_SIZE) and forms check its length.
QUERY_VALUE_MAX = 2_000
HEADER_VALUE_MAX = 8_000
# Text kept on the refusal page, so what someone typed is not lost (a comment's body, say).
KEPT_TEXT_MAX = 200_000


def _bad_text(value: str, limit: int | None) -> bool:
    """NUL (no database column stores it), a lone surrogate (no encoder writes it), or a value
    over ``limit``. Browsers and Django turn invalid UTF-8 on the wire into U+FFFD already."""
    if "\x00" in value or (limit is not None and len(value) > limit):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_input_found(request: HttpRequest) -> bool:
    """Whether the path, a query parameter, a form field, an uploaded file's name or a header
    holds text no page of ours can take (docs/security.md, "Bad input")."""
    if _bad_text(request.path, 4_000):
        return True
    for key, values in request.GET.lists():
        if _bad_text(key, 200) or any(_bad_text(v, QUERY_VALUE_MAX) for v in values):
            return True
    for name, value in request.META.items():
        is_header = name.startswith("HTTP_") and isinstance(value, str)
        if is_header and _bad_text(value, HEADER_VALUE_MAX):
            return True
    if request.method == "POST":
        for key, values in request.POST.lists():
            if _bad_text(key, 200) or any(_bad_text(v, None) for v in values):
                return True
        for key, files in request.FILES.lists():
            if _bad_text(key, 200) or any(_bad_text(f.name or "", 1_000) for f in files):
                return True
    return False


def _kept_text(request: HttpRequest) -> list[tuple[str, str]]:
    """What was typed into the form, cleaned so it can be shown and copied."""
    kept: list[tuple[str, str]] = []
    if request.method != "POST":
        return kept
    try:
        fields = request.POST.lists()
    except Exception:
        return kept
    for key, values in fields:
        if key == "csrfmiddlewaretoken":
            continue
        for value in values:
            text = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
            if len(text.strip()) >= 3:
                kept.append((key[:100], text[:KEPT_TEXT_MAX]))
    return kept


class BadInputMiddleware:
    """Answers 400 with a clear page — and what was typed, to copy — instead of letting a NUL
    byte, a lone surrogate or an over-long value reach a view, a query or the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if bad_input_found(request):
            return bad_input_response(request)
        return self.get_response(request)


def bad_input_response(request: HttpRequest) -> HttpResponse:
    from django.template.response import TemplateResponse

    response = TemplateResponse(
        request, "core/bad_input.html", {"kept": _kept_text(request)}, status=400
    )
    return response.render()
