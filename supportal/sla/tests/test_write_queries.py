"""The write paths cost what they write, not what exists (docs/performance.md, "Write paths").

Creating a request and adding a comment run as many statements with a few requests in the
database as with many more; the SLA sweep runs a fixed number per chunk of due clocks, however
many are due and however many are not.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.notifications.models import PendingSlaNotification
from supportal.sla import sweeper
from supportal.sla.models import Clock, Goal, SlaEvent, SlaEventKind
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.models import Comment, Ticket
from supportal.tickets.workflow import Action

MONDAY_9 = bucharest("Mon 2026-01-12 09:00")


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def _more_tickets(cast, count: int) -> None:
    for n in range(count):
        ticket = cast.ticket(summary=f"Alta cerere {n}", now=MONDAY_9)
        services.ticket_comment_add(
            ticket=ticket, author=cast.cristina, body=f"Detalii {n}", now=MONDAY_9
        )


def test_creating_a_request_runs_as_many_queries_with_many_requests_as_with_one(
    cast, default_policy
):
    # The first request of a process reads what it then keeps (the desk's choices, policies and
    # SLA settings: docs/performance.md, "Fifth round").
    cast.ticket(summary="Prima", now=MONDAY_9)
    few = _queries(lambda: cast.ticket(summary="A doua", now=MONDAY_9))
    _more_tickets(cast, 12)
    many = _queries(lambda: cast.ticket(summary="A cincisprezecea", now=MONDAY_9))

    assert many == few
    assert Ticket.objects.count() == 15


def test_adding_a_comment_runs_as_many_queries_with_many_comments_as_with_one(cast, default_policy):
    ticket = cast.ticket(now=MONDAY_9)

    def comment(body: str):
        return lambda: services.ticket_comment_add(
            ticket=ticket, author=cast.agent_help, body=body, is_public=False, now=MONDAY_9
        )

    comment("Prima nota")()  # the first note differs from the rest (nothing to compare)
    few = _queries(comment("A doua nota"))
    _more_tickets(cast, 8)
    for n in range(8):
        comment(f"Nota {n}")()
    many = _queries(comment("Ultima nota"))

    assert many == few
    assert Comment.objects.filter(ticket=ticket).count() == 11


# Measured when the clocks' reads and writes were kept (docs/performance.md, "Ninth round: the
# write paths of a request"): an agent taking a request (its ASSIGNED and STATUS_CHANGED
# events), then asking the customer with a public comment. BEGIN and COMMIT included.
TAKE_AT_MOST = {"postgresql": 18, "sqlite": 18}
REQUEST_INFO_AT_MOST = {"postgresql": 16, "sqlite": 16}


def test_a_status_change_runs_as_many_queries_with_many_requests_as_with_one(cast, default_policy):
    def take_and_ask(ticket):
        take = _queries(
            lambda: services.ticket_transition(
                ticket=ticket, actor=cast.agent_help, action=Action.TAKE, now=MONDAY_9
            )
        )
        ask = _queries(
            lambda: services.ticket_transition(
                ticket=ticket,
                actor=cast.agent_help,
                action=Action.REQUEST_INFO,
                comment="Ce versiune folositi?",
                now=MONDAY_9,
            )
        )
        return take, ask

    take_and_ask(cast.ticket(summary="Prima", now=MONDAY_9))
    few = take_and_ask(cast.ticket(summary="A doua", now=MONDAY_9))
    _more_tickets(cast, 8)
    many = take_and_ask(cast.ticket(summary="A unsprezecea", now=MONDAY_9))

    assert many == few
    assert many[0] <= TAKE_AT_MOST[connection.vendor]
    assert many[1] <= REQUEST_INFO_AT_MOST[connection.vendor]
    ticket = Ticket.objects.get(summary="A unsprezecea")
    assert (ticket.status, ticket.assignee) == ("waiting_for_customer", cast.agent_help)
    # The first response was met by the taking.
    states = dict(Clock.objects.filter(ticket=ticket).values_list("goal", "state"))
    assert states[Goal.FIRST_RESPONSE] == "met"


def test_the_sweep_runs_the_same_queries_for_two_or_twelve_due_and_ignores_the_rest(
    cast, default_policy
):
    due = [cast.ticket(summary=f"Scadenta {n}", now=MONDAY_9) for n in range(12)]
    later = bucharest("Mon 2026-01-12 10:00")
    # Requests whose clocks are not due: they must cost nothing.
    for n in range(10):
        cast.ticket(summary=f"Mai tarziu {n}", now=later)
    sweep_at = bucharest("Mon 2026-01-12 09:31")  # first response breached (30 min)

    Clock.objects.filter(ticket__in=due[2:]).update(next_due_at=later + dt.timedelta(days=1))
    two = _queries(lambda: sweeper.sla_sweep_due(sweep_at))
    Clock.objects.filter(ticket__in=due[2:], goal=Goal.FIRST_RESPONSE).update(
        next_due_at=bucharest("Mon 2026-01-12 09:30")
    )
    twelve_recorded = []
    ten = _queries(lambda: twelve_recorded.append(sweeper.sla_sweep_due(sweep_at)))

    assert ten == two
    assert twelve_recorded == [10]
    breaches = SlaEvent.objects.filter(kind=SlaEventKind.BREACH, goal=Goal.FIRST_RESPONSE)
    assert sorted(breaches.values_list("ticket_id", flat=True)) == sorted(t.pk for t in due)
    # Each breach is recorded once, for the desk's team lead, and its notification is queued.
    assert {tuple(event.data["recipient_ids"]) for event in breaches} == {(cast.lead_help.pk,)}
    assert PendingSlaNotification.objects.filter(sla_event__in=breaches).count() == 12
