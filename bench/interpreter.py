"""The interpreter's own speed at what Supportal does most: starting Django, rendering a template,
compiling a query, a JSON round trip. No database is touched. Run it from two environments made
with different interpreters, alternately, and compare (docs/architecture.md, "Twentieth round:
the interpreter"):

    .venv/bin/python -m bench.interpreter
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable

TEMPLATE = (
    "{% for item in items %}<li class='{% cycle 'odd' 'even' %}'>{{ item.name|title }} "
    "{{ item.share|floatformat:2 }}{% if item.share > 3 %} high{% endif %}</li>{% endfor %}"
)
RENDERINGS = 300
COMPILATIONS = 1_500
ROUND_TRIPS = 30


def _timed(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def _templates() -> None:
    from django.template import engines

    template = engines["django"].from_string(TEMPLATE)
    items = [{"name": f"item {n}", "share": n / 3} for n in range(50)]
    for _ in range(RENDERINGS):
        template.render({"items": items})


def _queries() -> None:
    from django.db.models import Count, Q

    from supportal.tickets.models import Ticket

    for _ in range(COMPILATIONS):
        query = (
            Ticket.objects.filter(Q(status="open") | Q(requester__email__icontains="x"))
            .select_related("desk", "requester")
            .annotate(comments_count=Count("comments"))
            .order_by("-updated_at")[:25]
        )
        str(query.query)


def _json() -> None:
    document = {"rows": [{"n": n, "text": str(n) * 5, "list": [1, 2, 3]} for n in range(2_000)]}
    for _ in range(ROUND_TRIPS):
        json.loads(json.dumps(document))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "interpreter-bench-not-a-secret")
    import django

    figures = {"django.setup()": _timed(django.setup)}
    figures["templates"] = _timed(_templates)
    figures["query compilation"] = _timed(_queries)
    figures["JSON"] = _timed(_json)
    figures["together"] = sum(figures.values())
    print(platform.python_version(), platform.python_build(), sep="  ")
    for name, seconds in figures.items():
        print(f"  {name:<18} {seconds:6.3f} s of CPU")


if __name__ == "__main__":
    main()
