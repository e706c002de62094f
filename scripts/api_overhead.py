"""What django-ninja adds per request, against a plain Django view doing the same work.

    SECRET_KEY=x .venv/bin/python scripts/api_overhead.py [requests]

Both views read a query parameter and return the same small JSON object; the ninja one
validates the parameter and the output with pydantic schemas, as every API endpoint does. Both
are called directly with a RequestFactory request (no middleware, no database), so the
difference is the framework's own cost. Medians of 5 runs; docs/api.md keeps the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import NinjaAPI, Schema  # noqa: E402


class Out(Schema):
    reference: str
    summary: str
    limit: int


def plain(request: HttpRequest) -> JsonResponse:
    try:
        limit = int(request.GET.get("limit", "25"))
    except ValueError:
        return JsonResponse({"detail": "limit"}, status=422)
    return JsonResponse({"reference": "HELP-1", "summary": "Parola blocată", "limit": limit})


bench_api = NinjaAPI(urls_namespace="overhead", docs_url=None, openapi_url=None)


@bench_api.get("/hello", response=Out)
def hello(request: HttpRequest, limit: int = 25) -> dict:
    return {"reference": "HELP-1", "summary": "Parola blocată", "limit": limit}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    factory = RequestFactory()
    patterns, _app, _ns = bench_api.urls
    ninja_view = next(p for p in patterns if str(p.pattern) == "hello").callback
    plain_view = path("hello", plain).callback
    results = {}
    for name, view in [("plain Django view", plain_view), ("django-ninja endpoint", ninja_view)]:
        runs = []
        for _ in range(5):
            request = factory.get("/hello", {"limit": "10"})
            start = time.perf_counter()
            for _ in range(count):
                response = view(request)
            runs.append((time.perf_counter() - start) / count)
            assert response.status_code == 200
        results[name] = statistics.median(runs)
        print(f"{name:24s} {results[name] * 1e6:8.1f} µs per request")
    added = results["django-ninja endpoint"] - results["plain Django view"]
    print(f"{'ninja adds':24s} {added * 1e6:8.1f} µs per request")


if __name__ == "__main__":
    main()
