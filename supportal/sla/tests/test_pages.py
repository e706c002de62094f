"""The SLA on people's pages: the panel on the request and ticket pages, the at-risk queue.

Pages read the real clock, so these tests put the policy on the 24/7 calendar: the figures
then do not depend on the hour or the day the tests run.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.core.errors import NotFound
from supportal.sla.selectors import sla_panel_for
from supportal.tickets import services
from supportal.tickets.workflow import Action

MIN = dt.timedelta(minutes=1)


@pytest.fixture
def around_the_clock(default_policy, always_open):
    default_policy.calendar = always_open
    default_policy.save()
    return default_policy


def ask_customer(cast, ticket, at=None):
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Avem nevoie de informații suplimentare.",
        now=at,
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def sla_section(html: str) -> str:
    start = html.index('<section class="card sla-panel"')
    return text_of(html[start : html.index("</section>", start)])


def test_the_customer_reads_the_sla_in_their_own_words(client, cast, around_the_clock):
    now = timezone.now()
    ticket = cast.ticket(now=now - 40 * MIN)
    ask_customer(cast, ticket, at=now - 10 * MIN)
    client.force_login(cast.cristina)

    panel = sla_section(
        client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    )

    assert "Time to first response Target 30 min of working time Used 30 min" in panel
    assert "Clock met Ended" in panel
    assert "Time to resolution Target 2 h of working time Used 30 min Remaining 1 h 30 min" in panel
    assert "Clock paused: waiting for your reply" in panel
    assert "set again when the clock resumes" in panel
    assert "started: request created" in panel
    assert "met: an agent asked for information" in panel
    assert "Times in Europe/Bucharest. Only working time counts." in panel


def test_the_agent_reads_the_same_clock_as_the_support_team_sees_it(client, cast, around_the_clock):
    now = timezone.now()
    ticket = cast.ticket(now=now - 40 * MIN)
    ask_customer(cast, ticket, at=now - 10 * MIN)
    client.force_login(cast.agent_help)

    panel = sla_section(
        client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    )

    assert "Clock paused: waiting for the customer" in panel
    assert "waiting for your reply" not in panel


def test_an_overdue_goal_says_so_with_its_deadline(client, cast, around_the_clock):
    created_at = timezone.now() - 45 * MIN
    ticket = cast.ticket(now=created_at)
    client.force_login(cast.cristina)

    html = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()

    panel = sla_section(html)
    assert (
        "Time to first response Target 30 min of working time Used 45 min Overdue 15 min" in panel
    )
    assert "Clock running, overdue" in panel
    deadline = timezone.localtime(created_at + 30 * MIN, ZoneInfo("Europe/Bucharest"))
    assert f'<time datetime="{deadline.isoformat()}">' in html


def test_deadlines_are_shown_in_the_viewers_time_zone(cast, around_the_clock):
    created_at = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
    ticket = cast.ticket(now=created_at)
    with timezone.override("Europe/Prague"):
        panel = sla_panel_for(ticket, cast.cristina, now=created_at + MIN)
    first = panel.goals[0]
    assert panel.time_zone == "Europe/Prague"
    assert (first.deadline_at.hour, first.deadline_at.minute) == (10, 30)  # 09:30 UTC, CET


def test_someone_who_may_not_see_the_request_gets_no_panel(cast, around_the_clock):
    ticket = cast.ticket()
    with pytest.raises(NotFound):
        sla_panel_for(ticket, cast.other_customer)
    with pytest.raises(NotFound):
        sla_panel_for(ticket, cast.agent_dev)


def test_the_panel_reads_its_clocks_entries_with_one_kept_statement(
    cast, around_the_clock, django_assert_num_queries
):
    """docs/performance.md, "Eleventh round: the request page": the entries of the request's
    clocks in one statement kept per number of clocks, not a prefetch built anew."""
    ticket = cast.ticket()
    ask_customer(cast, ticket)
    first = sla_panel_for(ticket, cast.cristina)
    # The clocks, then their entries (the viewer's roles come with the request).
    with django_assert_num_queries(2):
        again = sla_panel_for(ticket, cast.cristina)
    assert first is not None and again is not None
    assert [(g.goal, [h.text for h in g.history]) for g in again.goals] == [
        (g.goal, [h.text for h in g.history]) for g in first.goals
    ]
    assert all(goal.history for goal in again.goals)


def test_a_request_without_goals_shows_no_panel(client, cast, default_policy):
    default_policy.is_active = False
    default_policy.save()
    ticket = cast.ticket()
    assert sla_panel_for(ticket, cast.cristina) is None
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert "sla-panel" not in page


# The queue ---------------------------------------------------------------------------------------


def queue_references(client, **params) -> list[str]:
    page = client.get(reverse("workspace:queue"), params).content.decode()
    return re.findall(r"/agent/tickets/(HELP-\d+)/", page)


def test_the_at_risk_queue_lists_requests_past_their_warning_soonest_deadline_first(
    client, cast, around_the_clock
):
    now = timezone.now()
    calm = cast.ticket(now=now - 5 * MIN)
    warned = cast.ticket(now=now - 25 * MIN)  # first response warned at 20 min
    overdue = cast.ticket(now=now - 50 * MIN)
    taken = cast.ticket(now=now - 50 * MIN)
    services.ticket_transition(ticket=taken, actor=cast.agent_help, action=Action.TAKE)
    paused = cast.ticket(now=now - 50 * MIN)
    ask_customer(cast, paused, at=now - 45 * MIN)
    client.force_login(cast.agent_help)

    assert queue_references(client, view="at_risk") == [overdue.reference, warned.reference]
    page = client.get(reverse("workspace:queue"), {"view": "open"}).content.decode()
    assert 'href="?view=at_risk"' in page
    assert "SLA at risk" in page
    assert calm.reference not in queue_references(client, view="at_risk")


def test_the_queue_sorts_by_next_deadline_with_paused_requests_last(client, cast, around_the_clock):
    now = timezone.now()
    paused = cast.ticket(now=now - 50 * MIN)
    ask_customer(cast, paused, at=now - 45 * MIN)
    later = cast.ticket(now=now - 5 * MIN)
    sooner = cast.ticket(now=now - 10 * MIN)
    client.force_login(cast.agent_help)

    assert queue_references(client, view="open", sort="deadline") == [
        sooner.reference,
        later.reference,
        paused.reference,
    ]


def test_the_at_risk_queue_costs_the_same_queries_for_one_request_or_twenty(
    client, cast, around_the_clock, django_assert_max_num_queries
):
    client.force_login(cast.agent_help)
    cast.ticket(now=timezone.now() - 25 * MIN)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("workspace:queue"), {"view": "at_risk", "sort": "deadline"})
    for _ in range(20):
        cast.ticket(now=timezone.now() - 25 * MIN)
    with django_assert_max_num_queries(len(few.captured_queries)):
        references = queue_references(client, view="at_risk", sort="deadline")
    assert len(references) == 21


def test_the_at_risk_queue_is_ordered_by_a_join_not_a_subquery_per_request(
    client, cast, around_the_clock
):
    """The page follows the clocks' deadline index and stops when full (docs/performance.md):
    its list statement orders by the joined clock, with no subquery in its ORDER BY, and a
    request with both goals running is listed once, at its sooner deadline."""
    now = timezone.now()
    older = cast.ticket(now=now - 50 * MIN)  # first response and resolution both running
    newer = cast.ticket(now=now - 25 * MIN)
    client.force_login(cast.agent_help)

    with CaptureQueriesContext(connection) as queries:
        references = queue_references(client, view="at_risk")
    assert references == [older.reference, newer.reference]
    rows = [
        q["sql"]
        for q in queries.captured_queries
        if '"tickets_ticket"."summary"' in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert rows
    for sql in rows:
        # The statement's own ORDER BY is its last (the SLA column's subqueries have their own).
        order_by = sql.rsplit("ORDER BY", 1)[1]
        assert "SELECT" not in order_by


def test_the_at_risk_count_is_the_number_of_requests_listed_each_once(
    client, cast, around_the_clock
):
    """The tab's count is taken from the clocks' side (docs/performance.md, "Seventh round:
    the agent queue"): a request whose two goals are both past due counts once, a calm, paused,
    closed or other desk's request not at all, as in the list."""
    now = timezone.now()
    cast.ticket(now=now - 5 * MIN)  # calm
    warned = cast.ticket(now=now - 25 * MIN)
    overdue = cast.ticket(now=now - 50 * MIN)
    both_late = cast.ticket(now=now - 30 * dt.timedelta(days=1))
    paused = cast.ticket(now=now - 50 * MIN)
    ask_customer(cast, paused, at=now - 45 * MIN)
    cast.ticket(desk=cast.dev_desk, now=now - 50 * MIN)
    client.force_login(cast.agent_help)

    listed = queue_references(client, view="at_risk")
    counts = client.get(reverse("workspace:queue")).context["counts"]

    assert set(listed) == {warned.reference, overdue.reference, both_late.reference}
    assert counts["at_risk"] == len(listed) == 3
    assert client.get(reverse("workspace:counts")).json()["at_risk"] == 3
