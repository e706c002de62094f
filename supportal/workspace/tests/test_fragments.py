"""The ticket page's in-place updates: with ``X-Requested-With: fetch`` the reply, action and
assignment forms are answered with the parts of the page that changed (the same partials as
the page), including refusals (400), collisions (409) and repeats; without it, nothing changes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from supportal.tickets import services
from supportal.tickets.models import Comment
from supportal.tickets.workflow import Action, Status

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _url(name, ticket, *args):
    return reverse(f"workspace:{name}", args=[ticket.reference, *args])


def _seen(client, ticket) -> int:
    return client.get(_url("ticket", ticket)).context["last_event_id"]


def _reply(client, ticket, body, *, seen, token="t1", visibility="public"):  # noqa: S107
    return client.post(
        _url("comment", ticket),
        {"body": body, "visibility": visibility, "token": token, "seen_event_id": seen},
        headers=FETCH,
    )


def _is_fragment(response) -> bool:
    text = response.content.decode()
    return 'id="ticket-update"' in text and "<html" not in text


def test_a_reply_sent_in_place_answers_with_the_changed_parts_only(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)

    response = _reply(client, ticket, "I reset your password.", seen=_seen(client, ticket))

    assert response.status_code == 200
    assert _is_fragment(response)
    assert "X-Requested-With" in response.headers["Vary"]
    text = response.content.decode()
    assert "Reply sent." in text
    assert 'id="activity"' in text and "I reset your password." in text
    for part in ('id="status-line"', 'id="actions-slot"', 'id="reply-form"', 'id="facts"'):
        assert part in text
    # The reply box comes back empty with a fresh one-time token and the newest event seen.
    assert response.context["body"] == ""
    assert "t1" not in response.context["token"]
    assert response.context["last_event_id"] == ticket.events.latest("pk").pk
    assert Comment.objects.filter(body="I reset your password.").count() == 1
    # Messages are shown once: the next page has none left.
    assert "Reply sent." not in client.get(_url("ticket", ticket)).content.decode()


def test_without_the_header_a_reply_still_redirects_to_the_full_page(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.post(
        _url("comment", ticket),
        {
            "body": "Hello",
            "visibility": "public",
            "token": "t1",
            "seen_event_id": _seen(client, ticket),
        },
    )
    assert response.status_code == 302
    assert response.url.endswith("#activity")


def test_taking_a_ticket_in_place_updates_status_actions_assignee_and_assignment(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)

    response = client.post(_url("action", ticket, "take"), {"token": "take-1"}, headers=FETCH)

    assert response.status_code == 200 and _is_fragment(response)
    text = response.content.decode()
    assert "The request was updated." in text
    assert "In progress" in text
    assert "Bogdan Moraru" in text  # the assignee, in the facts
    assert _url("action", ticket, "take") not in text
    assert _url("action", ticket, "resolve") in text
    assert "Assign to me" not in text
    assert 'data-open="1"' in text
    assert 'id="customer"' not in text  # still open: the customer card did not change


def test_resolving_in_place_says_the_request_is_no_longer_open(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    client.force_login(cast.agent_help)
    response = client.post(
        _url("action", ticket, "resolve"), {"resolution": "Password reset."}, headers=FETCH
    )
    text = response.content.decode()
    assert 'data-open="0"' in text
    assert "Password reset." in text  # the resolution, under the details
    assert 'id="fields-slot" data-open-dependent></div>' in text  # classification is gone
    assert "Recent requests (0 open)" in text  # the customer card, as the count changed


def test_a_refused_action_in_place_says_why_and_keeps_the_text(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)

    response = client.post(
        _url("action", ticket, "wait_for_third_party"), {"third_party": " "}, headers=FETCH
    )

    assert response.status_code == 400 and _is_fragment(response)
    text = response.content.decode()
    assert 'class="error"' in text and "Say which third party" in text
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT


def test_a_refused_reply_in_place_comes_back_with_its_text(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.CANCEL)
    client.force_login(cast.agent_help)

    response = _reply(client, ticket, "Too late", seen=_seen(client, ticket))

    assert response.status_code == 400 and _is_fragment(response)
    assert "only internal notes" in response.content.decode()
    assert response.context["body"] == "Too late"
    assert ">Too late</textarea>" in response.content.decode()


def test_a_refused_assignment_in_place_follows_the_redirect_to_the_fragment(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.CANCEL)
    client.force_login(cast.agent_help)

    # A browser's fetch keeps the header on the redirect the refusal answers with.
    response = client.post(_url("assign", ticket), {"assignee": "me"}, headers=FETCH, follow=True)

    assert response.status_code == 200 and _is_fragment(response)
    assert 'class="error"' in response.content.decode()


def test_a_reply_over_unseen_changes_in_place_asks_first(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    seen = _seen(client, ticket)
    services.ticket_comment_add(ticket=ticket, author=cast.lead_help, body="I answered already")

    response = _reply(client, ticket, "My answer", seen=seen)

    assert response.status_code == 409 and _is_fragment(response)
    text = response.content.decode()
    assert 'id="collision"' in text and "This request changed while you were writing" in text
    assert "I answered already" in text
    assert ">My answer</textarea>" in text and "Send the reply anyway" in text
    assert not Comment.objects.filter(body="My answer").exists()

    again = _reply(client, ticket, "My answer", seen=response.context["last_event_id"], token="t2")

    assert again.status_code == 200
    assert 'id="collision"' not in again.content.decode()
    assert Comment.objects.filter(body="My answer").count() == 1


def test_a_resolution_over_unseen_changes_in_place_asks_first(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    client.force_login(cast.agent_help)
    seen = _seen(client, ticket)
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Still broken")

    response = client.post(
        _url("action", ticket, "resolve"),
        {"resolution": "Fixed.", "seen_event_id": seen, "token": "r1"},
        headers=FETCH,
    )

    assert response.status_code == 409 and _is_fragment(response)
    text = response.content.decode()
    assert "Still broken" in text and "Resolve anyway" in text and ">Fixed.</textarea>" in text
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_repeated_reply_in_place_is_posted_once_and_says_so(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    seen = _seen(client, ticket)
    _reply(client, ticket, "Only once", seen=seen, token="same")

    response = _reply(client, ticket, "Only once", seen=seen, token="same")

    assert response.status_code == 200 and _is_fragment(response)
    assert "it was not sent twice" in response.content.decode()
    assert Comment.objects.filter(body="Only once").count() == 1


def test_the_ticket_page_itself_can_be_asked_for_its_parts(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.get(_url("ticket", ticket), headers=FETCH)
    assert response.status_code == 200 and _is_fragment(response)
    # The customer card and the canned replies are not part of it.
    assert 'id="customer"' not in response.content.decode()


def test_another_desks_ticket_is_not_found_in_place_either(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_dev)
    response = client.post(_url("action", ticket, "take"), headers=FETCH)
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT


def test_a_fragment_needs_fewer_queries_than_the_page(client, cast, django_assert_max_num_queries):
    ticket = cast.ticket()
    services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="first")
    client.force_login(cast.lead_help)
    # 22: the site language and time zone are read once a minute (docs/languages.md).
    with django_assert_max_num_queries(22):
        client.get(_url("ticket", ticket), headers=FETCH)
