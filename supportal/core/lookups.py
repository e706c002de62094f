"""``__in_constants``: an ``IN`` over a few fixed words, written into the statement.

SQLite uses a partial index only when the query's terms imply the index's condition, and it
compares an ``IN`` list element by element with the index's: a list of bound parameters
(``IN (?, ?)``, how Django writes every ``__in``) never matches the index's literal one, so
the open-requests and running-clocks indexes were never used on SQLite (docs/performance.md,
"Sixth round: SQLite's queues"). This lookup writes the values as literals, sorted as the
indexes' conditions list them (``sorted(...)`` in the models). Only code constants (choice
values) go here: each must be a plain lower-case word, anything else is refused.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import CharField
from django.db.models.lookups import In

_WORD = re.compile(r"[a-z][a-z0-9_]*")


@CharField.register_lookup
class InConstants(In):
    lookup_name = "in_constants"

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        values = sorted({str(value) for value in self.rhs})
        if not values or not all(_WORD.fullmatch(value) for value in values):
            raise ValueError(f"__in_constants takes plain lower-case words, not {values!r}")
        return "(" + ", ".join(f"'{value}'" for value in values) + ")", ()
