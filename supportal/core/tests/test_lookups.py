"""``__in_constants`` writes its words into the statement, in the partial indexes' order, and
refuses anything else (docs/performance.md, "Sixth round: SQLite's queues")."""

from __future__ import annotations

import pytest

from supportal.sla.models import Clock, ClockState
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import OPEN_STATUSES


def test_the_words_are_written_sorted_and_not_bound():
    query = Ticket.objects.filter(status__in_constants=OPEN_STATUSES).values("pk")
    sql, params = query.query.sql_with_params()
    listed = ", ".join(f"'{status}'" for status in sorted(OPEN_STATUSES))
    assert f"IN ({listed})" in sql
    assert params == ()


def test_a_bound_parameter_stays_bound_beside_it():
    query = Clock.objects.filter(goal__in_constants=["resolution"], state=ClockState.RUNNING)
    sql, params = query.query.sql_with_params()
    assert "IN ('resolution')" in sql
    assert params == (ClockState.RUNNING,)


@pytest.mark.parametrize("values", [["open'); DROP TABLE x; --"], ["Open"], [], ["a b"]])
def test_anything_but_plain_words_is_refused(values):
    with pytest.raises(ValueError, match="plain lower-case words"):
        str(Ticket.objects.filter(status__in_constants=values).query)
