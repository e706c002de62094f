"""Queues: live counts, filters, sorting, pagination, saved views and query counts."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.replies.models import SavedView
from supportal.tickets import selectors, services
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import Action, Status
from supportal.workspace.queue_list import queue_listed, queue_tickets
from supportal.workspace.queues import DEFAULT_SORT
from supportal.workspace.views import queue as queue_views


def _refs(response) -> list[str]:
    return [t.reference for t in response.context["tickets"]]


def test_queue_counts_every_built_in_queue(client, cast):
    unassigned = cast.ticket()
    mine = cast.ticket()
    services.ticket_transition(ticket=mine, actor=cast.agent_help, action=Action.TAKE)
    waiting = cast.ticket()
    services.ticket_transition(
        ticket=waiting, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    third = cast.ticket()
    services.ticket_transition(
        ticket=third, actor=cast.lead_help, action=Action.WAIT_FOR_THIRD_PARTY, third_party="EDI"
    )
    resolved = cast.ticket()
    services.ticket_transition(
        ticket=resolved, actor=cast.lead_help, action=Action.RESOLVE, resolution="Done."
    )
    cast.ticket(desk=cast.dev_desk)  # another desk: never counted for agent_help
    client.force_login(cast.agent_help)

    counts = client.get(reverse("workspace:queue")).context["counts"]

    assert counts == {
        "unassigned": 3,  # new, waiting for the customer, waiting for the third party
        "mine": 1,
        "waiting_for_customer": 1,
        "waiting_for_third_party": 1,
        "resolved": 1,
        "at_risk": 0,  # every tab has its count, "SLA at risk" too
        "open": 4,
        "all": 5,
    }
    assert unassigned.reference in _refs(client.get("/agent/?view=unassigned"))
    assert _refs(client.get("/agent/?view=mine")) == [mine.reference]
    assert _refs(client.get("/agent/?view=resolved")) == [resolved.reference]


def test_each_agent_counts_their_own_desks_and_requests(client, cast):
    # The counts' statements are compiled once per kind of agent (docs/performance.md,
    # "Eighth round: the agent queue"): agents of one desk each, one after the other, still
    # count their own desk's requests and their own.
    taken = cast.ticket()
    services.ticket_transition(ticket=taken, actor=cast.agent_help, action=Action.TAKE)
    cast.ticket()
    dev = cast.ticket(desk=cast.dev_desk)
    services.ticket_transition(ticket=dev, actor=cast.agent_dev, action=Action.TAKE)
    cast.ticket(desk=cast.dev_desk)
    cast.ticket(desk=cast.dev_desk)

    def counts(user) -> tuple[int, int, int]:
        client.force_login(user)
        data = json.loads(client.get(reverse("workspace:counts")).content)
        return data["open"], data["mine"], data["unassigned"]

    assert counts(cast.agent_help) == (2, 1, 1)
    assert counts(cast.agent_dev) == (3, 1, 2)
    assert counts(cast.lead_help) == (2, 0, 1)
    assert counts(cast.agent_help) == (2, 1, 1)


def test_counts_refresh_as_json(client, cast):
    cast.ticket()
    cast.ticket(desk=cast.dev_desk)
    client.force_login(cast.agent_help)
    data = json.loads(client.get(reverse("workspace:counts")).content)
    assert data["open"] == 1
    assert data["unassigned"] == 1


def test_mine_shows_what_waits_for_support_first(client, cast):
    older = cast.ticket(summary="older, in progress")
    services.ticket_transition(ticket=older, actor=cast.agent_help, action=Action.TAKE)
    answered = cast.ticket(summary="answered by the customer")
    services.ticket_transition(ticket=answered, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=answered, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which?"
    )
    services.ticket_comment_add(ticket=answered, author=cast.cristina, body="This one.")
    services.ticket_fields_change(ticket=older, actor=cast.agent_help, summary="older, touched")
    client.force_login(cast.agent_help)

    refs = _refs(client.get("/agent/", {"view": "mine"}))

    answered.refresh_from_db()
    assert answered.status == Status.WAITING_FOR_SUPPORT
    assert refs == [answered.reference, older.reference]


def test_filters_narrow_the_queue(client, cast):
    bug = cast.ticket(
        summary="crash", request_type=cast.bug, priority=cast.high, actor=cast.agent_help
    )
    question = cast.ticket(summary="how", request_type=cast.question, product=cast.product)
    other_company = cast.ticket(requester=cast.other_customer, summary="other")
    services.ticket_assign(ticket=question, actor=cast.agent_help, assignee=cast.agent_help)
    client.force_login(cast.agent_help)

    def refs(**params):
        return set(_refs(client.get("/agent/", {"view": "open", **params})))

    assert refs(request_type=cast.bug.pk) == {bug.reference}
    assert refs(priority=cast.high.pk) == {bug.reference}
    assert refs(product=cast.product.pk) == {question.reference}
    assert refs(company="Other") == {other_company.reference}
    assert refs(company="RO123") == {bug.reference, question.reference}
    assert refs(assignee="me") == {question.reference}
    assert refs(assignee=str(cast.agent_help.pk)) == {question.reference}
    assert refs(assignee="none") == {bug.reference, other_company.reference}
    assert refs(desk=cast.help_desk.pk, status=Status.WAITING_FOR_SUPPORT) == {
        bug.reference,
        question.reference,
        other_company.reference,
    }
    assert refs(q="crash") == {bug.reference}


def test_each_agent_sees_their_own_desks_on_a_queues_first_page(client, cast):
    # A first page, unfiltered or by desk and status, is read by statements compiled once per
    # kind of agent (docs/performance.md, "Eleventh round: the agent queue"): agents of
    # different desks and the administrator, one after the other, each see their own.
    help_new = cast.ticket(summary="help, new")
    help_taken = cast.ticket(summary="help, taken")
    services.ticket_transition(ticket=help_taken, actor=cast.agent_help, action=Action.TAKE)
    dev_new = cast.ticket(desk=cast.dev_desk, summary="dev, new")
    dev_taken = cast.ticket(desk=cast.dev_desk, summary="dev, taken")
    services.ticket_transition(ticket=dev_taken, actor=cast.agent_dev, action=Action.TAKE)

    def refs(user, **params) -> list[str]:
        client.force_login(user)
        client.cookies.pop(queue_views.LAST_QUEUE_COOKIE, None)  # the default queue, not the last
        return _refs(client.get("/agent/", params))

    taken = {"view": "all", "status": Status.IN_PROGRESS}
    for _ in range(2):
        assert refs(cast.agent_help) == [help_taken.reference, help_new.reference]
        assert refs(cast.agent_dev) == [dev_taken.reference, dev_new.reference]
        assert refs(cast.agent_help, desk=cast.help_desk.pk, **taken) == [help_taken.reference]
        assert refs(cast.agent_dev, desk=cast.dev_desk.pk, **taken) == [dev_taken.reference]
        # A desk the agent does not work is no filter: their own desk's requests, not its.
        assert refs(cast.agent_help, desk=cast.dev_desk.pk, **taken) == [help_taken.reference]
        assert refs(cast.admin, desk=cast.dev_desk.pk, **taken) == [dev_taken.reference]
        assert set(refs(cast.admin)) == {
            help_new.reference,
            help_taken.reference,
            dev_new.reference,
            dev_taken.reference,
        }
        assert refs(cast.agent_help, view="mine") == [help_taken.reference]
        assert refs(cast.agent_dev, view="mine") == [dev_taken.reference]


def test_date_ranges_use_whole_days(client, cast):
    now = timezone.now()
    old = cast.ticket(summary="old", now=now - dt.timedelta(days=10))
    new = cast.ticket(summary="new", now=now)
    client.force_login(cast.agent_help)
    today = timezone.localdate(now).isoformat()
    long_ago = timezone.localdate(now - dt.timedelta(days=10)).isoformat()

    assert _refs(client.get("/agent/", {"created_from": today})) == [new.reference]
    assert _refs(client.get("/agent/", {"created_to": long_ago})) == [old.reference]
    assert _refs(client.get("/agent/", {"updated_to": long_ago})) == [old.reference]
    # A value that is not a date is ignored, not an error.
    assert client.get("/agent/", {"created_from": "yesterday"}).status_code == 200


def test_sorting_by_priority_age_and_last_update(client, cast):
    now = timezone.now()
    low = cast.ticket(
        summary="low", priority=cast.normal, actor=cast.agent_help, now=now - dt.timedelta(hours=3)
    )
    high = cast.ticket(
        summary="high", priority=cast.high, actor=cast.agent_help, now=now - dt.timedelta(hours=2)
    )
    none = cast.ticket(summary="none", now=now - dt.timedelta(hours=1))
    client.force_login(cast.agent_help)

    assert _refs(client.get("/agent/", {"sort": "priority"})) == [
        high.reference,
        low.reference,
        none.reference,
    ]
    assert _refs(client.get("/agent/", {"sort": "age"})) == [
        low.reference,
        high.reference,
        none.reference,
    ]
    assert _refs(client.get("/agent/", {"sort": "updated"}))[0] == none.reference


def test_pagination_splits_long_queues(client, cast, monkeypatch):
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    for _ in range(5):
        cast.ticket()
    client.force_login(cast.agent_help)
    first = client.get("/agent/", {"sort": "age"})
    third = client.get("/agent/", {"sort": "age", "page": 3})
    assert _refs(first) == ["HELP-1", "HELP-2"]
    assert _refs(third) == ["HELP-5"]
    assert "page=2" in first.content.decode()


def _link(response, rel: str) -> str | None:
    match = re.search(rf'href="(\?[^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def test_next_and_previous_links_walk_the_queue_by_keyset_without_offset(client, cast, monkeypatch):
    """Deep pages cost the same as the first (docs/performance.md): the links carry the last
    row's sort values, the page reads the rows past them; the URL stays shareable."""
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    for _ in range(5):
        cast.ticket()
    client.force_login(cast.agent_help)
    seen, url, pages = [], "?sort=age", 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/agent/" + url)
        seen.append(_refs(response))
        if pages:
            assert "after=" in url
            # (The counts' "OFFSET 0" skips no row: it keeps a subquery per row, sla/selectors.py.)
            sqls = [q["sql"] for q in queries.captured_queries]
            assert not [sql for sql in sqls if re.search(r"OFFSET (?!0\))", sql)]
        url, pages = _link(response, "next"), pages + 1
    assert seen == [["HELP-1", "HELP-2"], ["HELP-3", "HELP-4"], ["HELP-5"]]
    assert "Page 3" in response.content.decode()
    # Back, by the "Previous" links, to the first page; a shared link opens the same rows.
    back = []
    url = _link(response, "prev")
    while url:
        response = client.get("/agent/" + url)
        back.append(_refs(response))
        url = _link(response, "prev")
    assert back == [["HELP-3", "HELP-4"], ["HELP-1", "HELP-2"]]
    assert _refs(client.get("/agent/" + _link(response, "next"))) == ["HELP-3", "HELP-4"]


def test_priority_sort_walks_by_keyset_and_follows_priority_changes(client, cast, monkeypatch):
    """The priority sort reads the rank copied onto each request (Ticket.priority_rank): its
    deep pages are keyset pages too, and the copy follows a request's priority change and an
    administrator's change of a rank (docs/performance.md)."""
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    now = timezone.now()
    made = {}
    for index, (name, priority) in enumerate(
        [
            ("n1", cast.normal),
            ("h1", cast.high),
            ("none", None),
            ("n2", cast.normal),
            ("h2", cast.high),
        ]
    ):
        made[name] = cast.ticket(
            summary=name,
            priority=priority,
            actor=cast.agent_help,
            now=now - dt.timedelta(hours=9 - index),
        ).reference
    client.force_login(cast.agent_help)
    seen, url, pages = [], "?sort=priority", 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/agent/" + url)
        seen.append(_refs(response))
        if pages:
            assert "after=" in url
            # (The counts' "OFFSET 0" skips no row: it keeps a subquery per row, sla/selectors.py.)
            sqls = [q["sql"] for q in queries.captured_queries]
            assert not [sql for sql in sqls if re.search(r"OFFSET (?!0\))", sql)]
        url, pages = _link(response, "next"), pages + 1
    order = [made[name] for name in ("h1", "h2", "n1", "n2", "none")]
    assert seen == [order[:2], order[2:4], order[4:]]

    services.ticket_fields_change(
        ticket=Ticket.objects.get(reference=made["none"]), actor=cast.agent_help, priority=cast.high
    )
    cast.normal.rank = cast.high.rank + 1
    cast.normal.save()
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 10)
    assert _refs(client.get("/agent/", {"sort": "priority"})) == [
        made[name] for name in ("n1", "n2", "h1", "none", "h2")
    ]


def test_a_cursor_that_is_not_ours_falls_back_to_the_page_number(client, cast, monkeypatch):
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 2)
    for _ in range(3):
        cast.ticket()
    client.force_login(cast.agent_help)
    for cursor in ("x", "t1.i2.i3", "tnope.i2", "i99999999999999999999999999"):
        response = client.get("/agent/", {"sort": "age", "page": 2, "after": cursor})
        assert response.status_code == 200
        assert _refs(response) == ["HELP-3"]


def test_queue_page_queries_do_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    client.force_login(cast.lead_help)
    SavedView.objects.create(owner=cast.lead_help, name="mine", params={"view": ["mine"]})
    SavedView.objects.create(
        owner=cast.agent_help, desk=cast.help_desk, name="desk", params={"view": ["open"]}
    )
    params = {"view": "open", "sort": "priority", "assignee": "none", "company": "Cristina"}
    cast.ticket(
        priority=cast.high, actor=cast.agent_help, product=cast.product, request_type=cast.bug
    )
    # 12 (20 before the fifth round: the menus read the form's lists again, and the
    # priorities, types and products are now kept per process; 15 before the sixth: the
    # navigation's facts are counted with the queues, the led desks come from the
    # memberships already read; 13 before the seventh: the list's own capped count is
    # counted with the queues too; docs/performance.md).
    with django_assert_max_num_queries(12) as few:
        client.get("/agent/", params)
    for i in range(15):
        ticket = cast.ticket(
            priority=cast.normal, actor=cast.agent_help, request_type=cast.question
        )
        if i % 2:
            services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agent/", params)
    assert len(response.context["tickets"]) == 16
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        client.get("/agent/", {**params, "q": "parola"})


def test_agent_saves_a_personal_view_and_a_desk_view(client, cast):
    client.force_login(cast.agent_help)
    client.post(
        reverse("workspace:view_save"),
        {"name": "My bugs", "params": f"view=mine&request_type={cast.bug.pk}&page=3"},
    )
    client.post(
        reverse("workspace:view_save"),
        {"name": "Desk urgent", "params": "view=open&sort=priority", "scope": cast.help_desk.pk},
    )
    personal = SavedView.objects.get(name="My bugs")
    assert personal.desk is None
    assert personal.params == {"view": ["mine"], "request_type": [str(cast.bug.pk)]}

    def names(user):
        client.force_login(user)
        return [item["view"].name for item in client.get("/agent/").context["saved_views"]]

    assert names(cast.agent_help) == ["Desk urgent", "My bugs"]
    assert names(cast.lead_help) == ["Desk urgent"]  # the personal view stays personal
    assert names(cast.agent_dev) == []


def test_only_the_owner_or_a_team_lead_deletes_a_desk_view(client, cast):
    view = SavedView.objects.create(
        owner=cast.lead_help, desk=cast.help_desk, name="Desk", params={}
    )
    client.force_login(cast.agent_help)
    client.post(reverse("workspace:view_delete", args=[view.pk]))
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.force_login(cast.agent_dev)
    assert client.post(reverse("workspace:view_delete", args=[view.pk])).status_code == 404
    client.force_login(cast.lead_help)
    client.post(reverse("workspace:view_delete", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_agent_cannot_share_a_view_with_a_desk_they_do_not_work(client, cast):
    client.force_login(cast.agent_dev)
    response = client.post(
        reverse("workspace:view_save"),
        {"name": "sneaky", "params": "view=open", "scope": cast.help_desk.pk},
    )
    assert response.status_code == 404
    assert not SavedView.objects.exists()


def test_queue_counts_stop_at_the_cap(client, cast, monkeypatch):
    from supportal.core import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 1)
    for _ in range(4):
        cast.ticket()
    client.force_login(cast.agent_help)
    response = client.get(reverse("workspace:queue"))
    assert response.context["counts"]["open"] == 3  # one past the cap: "more"
    page = response.content.decode()
    assert 'data-count="open">2+</span>' in page
    assert "(2+)" in page
    data = json.loads(client.get(reverse("workspace:counts")).content)
    assert data["open"] == "2+"
    assert data["mine"] == 0


def test_capped_counts_of_unassigned_and_at_risk_walk_their_index_order(client, cast):
    """Unordered, a capped count lets PostgreSQL read the table hoping to meet the rows early:
    at a million tickets "Unassigned" took up to 268 ms and "SLA at risk" 378 ms, where their
    index order (the open unassigned requests' own index, the running clocks' deadlines) takes
    1 ms (docs/performance.md, "Queue counts at a million")."""
    cast.ticket()
    client.force_login(cast.agent_help)
    with CaptureQueriesContext(connection) as queries:
        counts = json.loads(client.get(reverse("workspace:counts")).content)
    assert counts["unassigned"] == 1
    (sql,) = [q["sql"] for q in queries.captured_queries if "counted_0" in q["sql"]]
    pieces = dict(
        zip(
            list(counts),
            sql.split("(SELECT COUNT(*) FROM")[1:],
            strict=True,
        )
    )
    assert re.search(r'ORDER BY "tickets_ticket"."updated_at" DESC', pieces["unassigned"])
    assert re.search(r"ORDER BY .*deadline_at.* ASC", pieces["at_risk"])
    assert "ORDER BY" not in pieces["open"]


def _list_count_sql(sql: str) -> str:
    """The list's own capped count: the last count of the queue counts' statement."""
    return sql.split("(SELECT COUNT(*) FROM")[-1]


def test_a_queues_list_is_counted_without_the_tables_its_rows_show(client, cast):
    """A row shows the requester, the company, the assignee and the priority; the list's
    count reads none of their tables but for a condition's own (docs/performance.md,
    "Seventeenth round: the queue counts"): a first page, a page filtered by company, a
    numbered page."""
    for _ in range(3):
        cast.ticket()
    client.force_login(cast.agent_help)
    for params in ({"view": "open"}, {"view": "open", "company": "Cristina"}, {"page": 1}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/agent/", params)
        assert response.context["page"].paginator.count == 3, params
        (sql,) = [q["sql"] for q in queries.captured_queries if "counted_0" in q["sql"]]
        counted = _list_count_sql(sql)
        # A filter by company joins the companies: the condition is theirs.
        for shown_only in ('"accounts_user"', '"desks_priority"', "LEFT OUTER JOIN"):
            assert shown_only not in counted, (params, shown_only)


def test_mine_is_read_in_its_order_from_its_own_index(cast):
    """PostgreSQL reads "Mine" in its order from ``ticket_open_mine``: the queue orders by the
    very expression the index holds (one definition for both). SQLite, whose statements bind
    the values that index writes out, reads the agent's open requests through
    ``ticket_assignee_status_desk`` and sorts them (docs/performance.md, "Seventeenth round:
    the queue counts")."""
    agent = cast.agent_help
    tickets = queue_tickets(
        selectors.tickets_of_desks(selectors.desk_ids_for_agent(agent)),
        queue_key="mine",
        user=agent,
        now=timezone.now(),
        filters={},
    )
    rows, _keyset = queue_listed(tickets, queue_key="mine", sort_key=DEFAULT_SORT)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A handful of rows would be read and sorted whole; ask the planner what it would
            # do with the thousands the index is for.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_sort = off")
        plan = rows[:50].explain()
    if connection.vendor == "postgresql":
        assert "ticket_open_mine" in plan
        # In the index's order: no sort of the agent's requests by the queue's expression
        # (the SLA column's subqueries sort a request's own clocks).
        assert "Sort Key: (CASE" not in plan
    else:
        assert "ticket_assignee_status_desk" in plan


def test_queue_search_and_at_risk_queries_do_not_grow_with_rows(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.agent_help)
    cast.ticket()
    urls = ("/agent/?q=parola", "/agent/?view=at_risk", reverse("workspace:counts"))
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(30) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    for _ in range(10):
        cast.ticket()
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_a_search_lists_the_best_of_its_newest_matches_and_says_so(client, cast, monkeypatch):
    """A search lists the best matches among the SEARCH_RANKED most recently updated, and
    says so when it holds that many (docs/search.md, "Ranking stops early")."""
    monkeypatch.setattr(queue_views, "SEARCH_RANKED", 2)
    monkeypatch.setattr(queue_views, "QUEUE_PAGE_SIZE", 1)
    old, middle = cast.ticket(summary="Tastatura"), cast.ticket(summary="Tastatura")
    new = cast.ticket(summary="Tastatura", details="Tastatura, tastatura, iar tastatura")
    client.force_login(cast.agent_help)
    first = client.get("/agent/", {"view": "all", "q": "tastatura"})
    second = client.get("/agent/", {"view": "all", "q": "tastatura", "page": 2})
    assert _refs(first) + _refs(second) == [new.reference, middle.reference]
    assert 'rel="next"' not in second.content.decode()  # the oldest match is not listed
    assert "(2)" in first.content.decode()
    assert (
        "Only the 2 most recently updated matching requests are listed, best match first:"
        " add words or filters to narrow the search." in html.unescape(first.content.decode())
    )
    by_age = client.get("/agent/", {"view": "all", "q": "tastatura", "sort": "age"})
    assert _refs(by_age) == [middle.reference]  # the newest two, oldest first
    assert (
        "Only the 2 most recently updated matching requests are listed: add words"
        in html.unescape(by_age.content.decode())
    )
    one = client.get("/agent/", {"view": "all", "q": old.reference})
    assert _refs(one) == [old.reference]
    assert "Only the" not in one.content.decode()


def test_an_agent_of_no_desk_sees_empty_queues_not_an_error(client, cast):
    cast.ticket()
    lonely = cast.agent_help.__class__.objects.create_user(
        email="lonely@support.test", password="Lonely-agent-2026", is_agent=True
    )
    client.force_login(lonely)
    for view in ("", "?view=resolved", "?view=at_risk", "?view=all&q=factura"):
        page = client.get(reverse("workspace:queue") + view)
        assert page.status_code == 200, view
        assert _refs(page) == []
    counts = client.get(reverse("workspace:counts")).json()
    assert counts["unassigned"] == 0 and set(counts.values()) == {0}
