"""What keeps the customer pages fast (docs/performance.md): constant query counts,
only the listed columns, and counts that stop at a cap."""

from __future__ import annotations

import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.core import paging
from supportal.search.selectors import ticket_search
from supportal.tickets import services
from supportal.tickets.workflow import Action


def _ticket_list_sql(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if 'FROM "tickets_ticket"' in q["sql"] and '"tickets_ticket"."summary"' in q["sql"]
    ]


def test_the_list_reads_neither_details_nor_password_hashes(client, cast):
    ticket = cast.ticket(details="x" * 5000)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="?"
    )
    client.force_login(cast.cristina)
    for url in ("/", reverse("portal:awaiting"), "/?q=parola"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        rows = _ticket_list_sql(queries.captured_queries)
        assert rows, url
        for sql in rows:
            assert '"tickets_ticket"."details"' not in sql
            assert '"password"' not in sql


def test_search_and_request_page_queries_do_not_grow_with_rows(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.cristina)
    ticket = cast.ticket()
    page = reverse("portal:request", args=[ticket.reference])
    counts = {}
    # The first search reads the site's language and time zone (once a minute,
    # docs/languages.md); the request page reads its feedback and the customer's mute with the
    # request itself (docs/performance.md, "Fifth round"); it reads no quotes for a request
    # that never had one, nor the people its timeline names again ("Sixth round"), and its
    # navigation's count comes with the request ("Seventh round"); neither files nor
    # participants when the request has none, and its product, type and priority from the
    # desk's kept rows, read on a process's first page ("Twelfth round: the request page").
    for url, bound in (("/?q=parola", 19), (page, 10)):
        with django_assert_max_num_queries(bound) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    for i in range(8):
        cast.ticket()
        services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body=f"answer {i}")
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body=f"parola {i}")
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="?"
    )
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            response = client.get(url)
        assert response.status_code == 200
    assert len(client.get("/?q=parola").context["tickets"]) == 9


def test_a_long_list_says_more_than_the_cap_and_still_pages_on(client, cast, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    for _ in range(5):
        cast.ticket()
    client.force_login(cast.cristina)
    monkeypatch.setattr("supportal.portal.views.lists.LIST_PAGE_SIZE", 2)
    first = client.get("/")
    assert "More than 3 requests" in first.content.decode()
    assert first.context["page"].has_next()
    third = client.get("/", {"page": 3})
    assert len(third.context["tickets"]) == 1
    assert not third.context["page"].has_next()
    # A search ranks only the newest matches, one past the cap: the list says "more than".
    assert len(ticket_search(cast.cristina, "parola")) == 4


def test_a_list_is_counted_without_the_tables_its_rows_show(client, cast, monkeypatch):
    """The list's rows show the requester and the product; its count reads neither table
    (docs/performance.md, "Seventeenth round: the queue counts")."""
    monkeypatch.setattr("supportal.portal.views.lists.LIST_PAGE_SIZE", 2)
    for _ in range(3):
        cast.ticket()
    client.force_login(cast.cristina)
    for url in ("/", "/?who=company", reverse("portal:awaiting")):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counted = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
        assert counted, url
        assert all("JOIN" not in sql for sql in counted), url
    assert client.get("/").context["page"].paginator.count == 3


def test_the_next_link_reads_the_rows_past_the_last_one_shown(client, cast, monkeypatch):
    """Keyset pages (docs/performance.md): "Next" carries the last row's sort values, the next
    page reads the rows past them without OFFSET, and "Previous" comes back to the same rows."""
    monkeypatch.setattr("supportal.portal.views.lists.LIST_PAGE_SIZE", 2)
    for _ in range(5):
        cast.ticket()
    client.force_login(cast.cristina)

    def link(response, rel):
        match = re.search(rf'href="(\?[^"]*)" rel="{rel}"', response.content.decode())
        return html.unescape(match.group(1)) if match else None

    first = client.get("/", {"sort": "created"})
    refs = [[t.reference for t in first.context["tickets"]]]
    url, response = link(first, "next"), first
    while url:
        assert "after=" in url
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/" + url)
        assert not [q for q in queries.captured_queries if "OFFSET" in q["sql"]]
        refs.append([t.reference for t in response.context["tickets"]])
        url = link(response, "next")
    assert refs == [["HELP-1", "HELP-2"], ["HELP-3", "HELP-4"], ["HELP-5"]]
    back = client.get("/" + link(response, "prev"))
    assert [t.reference for t in back.context["tickets"]] == ["HELP-3", "HELP-4"]


def test_the_lists_menus_are_read_once_with_the_form(client, cast):
    """The type and product menus are read into lists with the form (docs/performance.md, "The
    customer's lists"): rendering them and checking a chosen value ask nothing more."""
    from supportal.portal.forms import RequestFilterForm

    mine = cast.ticket(request_type=cast.bug)
    other = cast.ticket(request_type=cast.question)
    chosen = {"request_type": str(cast.bug.pk), "product": str(cast.product.pk)}
    form = RequestFilterForm(chosen, user=cast.cristina, sees_colleagues=False)
    with CaptureQueriesContext(connection) as queries:
        menus = str(form["request_type"]) + str(form["product"])
        assert form.chosen("request_type", type(cast.bug)) == cast.bug
    assert queries.captured_queries == []
    assert f'<option value="{cast.bug.pk}" selected>Helpdesk · Bug</option>' in menus
    assert f'<option value="{cast.product.pk}" selected>Tecnet Web</option>' in menus
    client.force_login(cast.cristina)
    page = client.get("/", {"request_type": cast.bug.pk}).content.decode()
    assert mine.reference in page
    assert other.reference not in page
