"""The workspace's HTTP contract for agents."""

from __future__ import annotations

from django.urls import reverse

from supportal.tickets.workflow import Status


def test_customer_cannot_open_the_workspace(client, cast):
    client.force_login(cast.cristina)
    assert client.get("/agent/").status_code == 403  # a page for them, no redirect loop


def test_agent_sees_only_own_desks_tickets(client, cast):
    help_ticket = cast.ticket()
    dev_ticket = cast.ticket(desk=cast.dev_desk)
    client.force_login(cast.agent_help)
    page = client.get("/agent/").content.decode()
    assert help_ticket.reference in page
    assert dev_ticket.reference not in page
    assert client.get(reverse("workspace:ticket", args=[dev_ticket.reference])).status_code == 404


def test_agent_takes_then_resolves_through_buttons(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    client.post(reverse("workspace:action", args=[ticket.reference, "take"]))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.assignee == cast.agent_help
    response = client.post(reverse("workspace:action", args=[ticket.reference, "resolve"]))
    assert response.status_code == 400  # refused: no resolution text; the page says why
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert "Write the resolution" in response.content.decode()
    client.post(
        reverse("workspace:action", args=[ticket.reference, "resolve"]),
        {"resolution": "Password reset."},
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "Password reset."


def test_internal_note_is_marked_for_agents(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    client.post(
        reverse("workspace:comment", args=[ticket.reference]),
        {"body": "call back after 5", "visibility": "internal"},
    )
    comment = ticket.comments.get()
    assert comment.is_public is False
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    assert "call back after 5" in page
    assert "Internal note" in page


def test_queue_queries_do_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    client.force_login(cast.agent_help)
    cast.ticket()
    # 12 (17 before the fifth round, 14 before the sixth, 13 before the seventh): the site
    # language and time zone are read once a minute (docs/languages.md), the desks' choices
    # once per process, the navigation's facts and the list's own count with the queue
    # counts (docs/performance.md).
    with django_assert_max_num_queries(12) as few:
        client.get("/agent/")
    for _ in range(20):
        cast.ticket()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agent/")
    assert response.content.decode().count("/agent/tickets/HELP-") == 21


def test_agent_search_finds_words_of_internal_notes(client, cast):
    from supportal.tickets import services

    ticket = cast.ticket()
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="furnizorul EDI confirmă", is_public=False
    )
    client.force_login(cast.agent_help)
    page = client.get("/agent/", {"q": "confirma"}).content.decode()
    assert ticket.reference in page
