"""Working a ticket: context, every workflow action, assignment, fields, participants, quotes,
canned replies, export, collision warnings and posting exactly once."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.accounts.models import Contract, User
from supportal.core import paging
from supportal.replies.models import CannedReply
from supportal.tickets import services
from supportal.tickets.models import Comment, EventKind, Quote
from supportal.tickets.workflow import Action, Status, WaitingReason


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _url(name, ticket, *args):
    return reverse(f"workspace:{name}", args=[ticket.reference, *args])


def _page(client, ticket):
    return client.get(_url("ticket", ticket))


def _post_comment(client, ticket, body, *, visibility="public", token="t1", seen=None):  # noqa: S107
    if seen is None:
        seen = _page(client, ticket).context["last_event_id"]
    return client.post(
        _url("comment", ticket),
        {"body": body, "visibility": visibility, "token": token, "seen_event_id": seen},
    )


def test_page_shows_company_contract_recent_tickets_and_the_full_log(client, cast):
    contract = Contract.objects.create(organization=cast.cristina_srl, name="Premium 24/7")
    contract.priorities.add(cast.high)
    earlier = cast.ticket(summary="Earlier problem")
    ticket = cast.ticket()
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="called the customer", is_public=False
    )
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    client.force_login(cast.agent_help)

    page = _page(client, ticket).content.decode()

    assert "Cristina SRL" in page and "RO123" in page
    assert "Premium 24/7" in page and "High" in page
    assert earlier.reference in page
    assert "called the customer" in page
    assert "Lena Lead assigned the request to Bogdan Moraru." in page
    assert "Internal note" in page


def test_every_workflow_action_works_from_its_button(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)

    def act(action, **data):
        response = client.post(_url("action", ticket, action), data)
        ticket.refresh_from_db()
        return response

    act("take")
    assert (ticket.status, ticket.assignee) == (Status.IN_PROGRESS, cast.agent_help)
    act("request_info", comment="Please test now.", reason=WaitingReason.PLEASE_TEST)
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert ticket.waiting_reason == WaitingReason.PLEASE_TEST
    assert ticket.comments.get().is_public
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Works.")
    act("start")
    assert ticket.status == Status.IN_PROGRESS
    act("wait_for_third_party", third_party="EDI provider")
    assert (ticket.status, ticket.waiting_on) == (Status.WAITING_FOR_THIRD_PARTY, "EDI provider")
    act("third_party_answered", answer="EDI confirmed the fix.")
    assert ticket.status == Status.IN_PROGRESS
    note = ticket.comments.get(body="EDI confirmed the fix.")
    assert note.is_public is False
    act("resolve", resolution="Fixed by EDI.")
    assert (ticket.status, ticket.resolution) == (Status.RESOLVED, "Fixed by EDI.")
    act("close")
    assert ticket.status == Status.CLOSED
    other = cast.ticket()
    client.post(_url("action", other, "cancel"))
    other.refresh_from_db()
    assert other.status == Status.CANCELLED


def test_a_refused_action_keeps_the_text_and_says_why(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.post(_url("action", ticket, "wait_for_third_party"), {"third_party": " "})
    assert response.status_code == 400
    assert "Say which third party" in response.content.decode()


def test_customer_only_actions_are_not_offered_to_agents(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    assert client.post(_url("action", ticket, "customer_resolve")).status_code == 404
    assert client.post(_url("action", ticket, "fly")).status_code == 404


def test_agent_assigns_themself_but_not_others(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    client.post(_url("assign", ticket), {"assignee": str(cast.lead_help.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    client.post(_url("assign", ticket), {"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == cast.agent_help


def test_team_lead_assigns_anyone_of_the_desk_and_unassigns(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.lead_help)
    page = _page(client, ticket).content.decode()
    assert 'name="assignee"' in page and "Bogdan Moraru" in page
    client.post(_url("assign", ticket), {"assignee": str(cast.agent_help.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == cast.agent_help
    # Someone of another desk is not offered, and not accepted.
    assert client.post(_url("assign", ticket), {"assignee": cast.agent_dev.pk}).status_code == 404
    client.post(_url("assign", ticket), {"assignee": "none"})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_agent_changes_priority_type_and_product(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    client.post(
        _url("fields", ticket),
        {"priority": cast.high.pk, "request_type": cast.bug.pk, "product": cast.product.pk},
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.request_type, ticket.product) == (
        cast.high,
        cast.bug,
        cast.product,
    )
    assert ticket.events.filter(kind=EventKind.FIELD_CHANGED).count() == 3
    client.post(_url("fields", ticket), {"priority": ""})
    ticket.refresh_from_db()
    assert ticket.priority is None and ticket.request_type == cast.bug


def test_agent_adds_and_removes_a_participant(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    page = _page(client, ticket).content.decode()
    assert "ion.popescu@example.com" in page
    assert "petr@other.test" not in page  # not a colleague
    client.post(_url("participant_add", ticket), {"user": cast.colleague.pk})
    assert list(ticket.participants.values_list("user", flat=True)) == [cast.colleague.pk]
    client.post(_url("participant_add", ticket), {"user": cast.other_customer.pk})
    assert ticket.participants.count() == 1
    client.post(_url("participant_remove", ticket, cast.colleague.pk))
    assert ticket.participants.count() == 0


def test_a_company_too_big_for_the_menu_is_shared_with_by_address(client, cast, monkeypatch):
    """Past PICKER_LIMIT colleagues the page lists none (a company of thousands made every
    request page read and render them all) and says to use the address field."""
    monkeypatch.setattr(paging, "PICKER_LIMIT", 1)
    User.objects.create_user("maria@example.com", organization=cast.cristina_srl)
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    page = _page(client, ticket).content.decode()
    assert 'id="id_participant"' not in page
    assert "ion.popescu@example.com" not in page
    assert "too many people to list" in page
    client.post(_url("participant_add", ticket), {"email": "ion.popescu@example.com"})
    assert list(ticket.participants.values_list("user", flat=True)) == [cast.colleague.pk]


def test_agent_proposes_a_quote(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    client.post(
        _url("quote", ticket),
        {"price": "1500.00", "currency": "RON", "deadline": "2030-01-31", "note": "Two days"},
    )
    quote = Quote.objects.get()
    assert (quote.price, quote.deadline) == (Decimal("1500.00"), dt.date(2030, 1, 31))
    client.post(_url("quote", ticket), {"price": "-1", "currency": "RON"})
    assert Quote.objects.count() == 1


def test_the_page_reads_quotes_and_named_people_only_when_it_must(client, cast):
    """docs/performance.md, "Sixth round": no quote statement for a request that never had a
    quote; the people the log names come from the request's own (the assignee, participants)."""
    ticket = cast.ticket()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    client.force_login(cast.agent_help)
    _page(client, ticket)
    with CaptureQueriesContext(connection) as queries:
        page = _page(client, ticket).content.decode()
    statements = [q["sql"] for q in queries.captured_queries]
    assert f"assigned the request to {cast.agent_help}." in page
    assert f"shared the request with {cast.colleague}." in page
    assert "No quote yet." in page
    assert not [sql for sql in statements if sql.startswith('SELECT "tickets_quote"."id"')]
    # The people the log names are not read again by their ids.
    assert not [sql for sql in statements if 'WHERE "accounts_user"."id" IN (' in sql]

    services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("99"))
    page = _page(client, ticket).content.decode()
    assert "99.00 RON" in page
    assert "No quote yet." not in page


def test_canned_reply_is_inserted_with_its_placeholders_filled(client, cast):
    ticket = cast.ticket()
    reply = CannedReply.objects.create(
        desk=cast.help_desk,
        title="Password",
        body="Hello {requester_name}, {reference} is done. {agent_name}",
    )
    CannedReply.objects.create(desk=cast.dev_desk, title="Dev only", body="dev")
    client.force_login(cast.agent_help)
    response = client.get(_url("ticket", ticket), {"canned": reply.pk})
    page = response.content.decode()
    assert response.context["body"] == (
        f"Hello Cristina Tănăsescu, {ticket.reference} is done. Bogdan Moraru"
    )
    assert "Dev only" not in page


def test_export_holds_the_whole_record_with_internal_notes(client, cast):
    ticket = cast.ticket()
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="public answer")
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="secret note", is_public=False
    )
    client.force_login(cast.agent_help)
    response = client.get(_url("export", ticket), {"download": "1"})
    page = response.content.decode()
    assert response["Content-Disposition"] == f'attachment; filename="{ticket.reference}.html"'
    assert "public answer" in page and "secret note" in page and "Internal note" in page
    assert "Am parola blocata" in page


def test_reply_over_unseen_changes_asks_first_and_keeps_the_text(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    seen = _page(client, ticket).context["last_event_id"]
    services.ticket_comment_add(ticket=ticket, author=cast.lead_help, body="I answered already")

    response = _post_comment(client, ticket, "My answer", seen=seen)

    assert response.status_code == 409
    page = response.content.decode()
    assert "This request changed while you were writing" in page
    assert "Lena Lead added a comment." in page and "I answered already" in page
    assert response.context["body"] == "My answer"
    assert not ticket.comments.filter(body="My answer").exists()
    # Sending again from the warning posts: the warning page has seen the change.
    _post_comment(client, ticket, "My answer", seen=response.context["last_event_id"], token="t2")
    assert ticket.comments.filter(body="My answer").count() == 1


def test_own_changes_do_not_warn(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    seen = _page(client, ticket).context["last_event_id"]
    services.ticket_assign(ticket=ticket, actor=cast.agent_help, assignee=cast.agent_help)
    assert _post_comment(client, ticket, "Hello", seen=seen).status_code == 302


def test_a_resubmitted_reply_is_posted_once(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    seen = _page(client, ticket).context["last_event_id"]
    first = _post_comment(client, ticket, "Only once", seen=seen, token="same")
    second = _post_comment(client, ticket, "Only once", seen=seen, token="same")
    assert first.status_code == second.status_code == 302
    assert Comment.objects.filter(body="Only once").count() == 1
    assert "it was not sent twice" in client.get(second.url).content.decode()


def test_a_repeated_action_is_done_once(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    data = {"comment": "Which browser?", "token": "act-1"}
    client.post(_url("action", ticket, "request_info"), data)
    response = client.post(_url("action", ticket, "request_info"), data)
    assert response.status_code == 302
    assert ticket.comments.count() == 1


def test_refused_reply_comes_back_with_its_text(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.CANCEL)
    client.force_login(cast.agent_help)
    response = _post_comment(client, ticket, "Too late")
    assert response.status_code == 400
    assert response.context["body"] == "Too late"
    assert "only internal notes" in response.content.decode()


def test_presence_shows_who_else_has_the_ticket_open_and_who_writes(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.lead_help)
    seen = _page(client, ticket).context["last_event_id"]
    client.post(_url("presence", ticket), {"typing": "1", "seen_event_id": seen})

    client.force_login(cast.agent_help)
    page = _page(client, ticket).content.decode()
    assert "Lena Lead is writing…" in page
    services.ticket_comment_add(ticket=ticket, author=cast.lead_help, body="done")
    state = json.loads(
        client.post(_url("presence", ticket), {"typing": "0", "seen_event_id": seen}).content
    )
    assert state["others"] == [{"name": "Lena Lead", "is_typing": True}]
    assert state["changes"] == ["Lena Lead added a comment."]

    client.force_login(cast.lead_help)
    client.post(_url("leave", ticket))
    client.force_login(cast.agent_help)
    state = json.loads(client.post(_url("presence", ticket)).content)
    assert state["others"] == []


def test_ticket_page_queries_do_not_grow_with_events(client, cast, django_assert_max_num_queries):
    ticket = cast.ticket()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="first")
    client.force_login(cast.lead_help)
    # 21 (24 before the sixth round, 33 before the fifth): among them the navigation's count
    # of quarantined mail, the site language and time zone, the customer's company's (both
    # read once a minute, docs/languages.md), and this process's first read of the desk's
    # priorities, types, products and custom fields, then kept (docs/performance.md, "Fifth
    # round").
    with django_assert_max_num_queries(21) as few:
        _page(client, ticket)
    for i in range(10):
        services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body=f"c{i}")
        services.ticket_assign(
            ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help if i % 2 else None
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        _page(client, ticket)
