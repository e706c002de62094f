"""The tickets API gives the same answers as the web: permissions, events, notifications."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.notifications.models import PendingNotification
from supportal.tickets import services
from supportal.tickets.models import Event, SubmissionMethod, Ticket
from supportal.tickets.workflow import Action, Status

pytestmark = pytest.mark.django_db


def test_no_token_is_401_problem(client):
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"
    assert "Bearer" in response["WWW-Authenticate"]


def test_wrong_or_revoked_token_is_401(cast, api_as, client):
    api = api_as(cast.cristina)
    bad = client.get("/api/v1/tickets", headers={"Authorization": api.token[:-2] + "xx"})
    assert bad.status_code == 401
    from supportal.accounts.services import api_token_revoke

    api_token_revoke(actor=cast.cristina, token_id=api.token_row.pk)
    assert api.get("/api/v1/tickets").status_code == 401


def test_customer_lists_what_the_portal_shows(cast, api_as):
    own = cast.ticket(cast.cristina)
    other = cast.ticket(cast.other_customer)
    response = api_as(cast.cristina).get("/api/v1/tickets")
    assert response.status_code == 200
    references = [item["reference"] for item in response.json()["items"]]
    assert own.reference in references
    assert other.reference not in references


def test_customer_of_another_company_gets_404(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    api = api_as(cast.other_customer)
    response = api.get(f"/api/v1/tickets/{ticket.reference}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert ticket.reference in response.json()["detail"]
    for path, body in [
        (f"/api/v1/tickets/{ticket.reference}/comments", {"body": "hello"}),
        (f"/api/v1/tickets/{ticket.reference}/actions/cancel", {}),
    ]:
        assert api.post(path, body).status_code == 404
    assert not ticket.comments.exists()


def test_customer_never_sees_internal_notes(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Secret note", is_public=False
    )
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Public answer")
    customer = api_as(cast.cristina).get(f"/api/v1/tickets/{ticket.reference}").json()
    assert [c["body"] for c in customer["comments"]] == ["Public answer"]
    assert all(e["is_public"] for e in customer["events"])
    assert "Secret note" not in str(customer)
    agent = api_as(cast.agent_help).get(f"/api/v1/tickets/{ticket.reference}").json()
    assert [c["body"] for c in agent["comments"]] == ["Secret note", "Public answer"]


def test_customer_cannot_write_an_internal_note(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    response = api_as(cast.cristina).post(
        f"/api/v1/tickets/{ticket.reference}/comments", {"body": "x", "is_public": False}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "is_public"
    assert not ticket.comments.exists()


def test_agent_of_another_desk_gets_404(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    assert api_as(cast.agent_dev).get(f"/api/v1/tickets/{ticket.reference}").status_code == 404


def test_customer_creates_a_request_with_the_portals_event_and_notification(cast, api_as):
    response = api_as(cast.cristina).post(
        "/api/v1/tickets",
        {"desk": "help", "summary": "Imprimanta nu merge", "details": "Din API"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get(reference=data["reference"])
    assert ticket.requester == cast.cristina
    assert ticket.submission_method == SubmissionMethod.API
    assert data["status"] == Status.WAITING_FOR_SUPPORT
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]
    assert PendingNotification.objects.filter(ticket=ticket).count() == 1


def test_customer_cannot_open_for_someone_else(cast, api_as):
    response = api_as(cast.cristina).post(
        "/api/v1/tickets",
        {"desk": "HELP", "summary": "x", "requester_id": cast.colleague.pk},
    )
    assert response.status_code == 422
    assert not Ticket.objects.exists()


def test_agent_creates_on_a_customers_behalf(cast, api_as):
    response = api_as(cast.agent_help).post(
        "/api/v1/tickets",
        {
            "desk": "HELP",
            "summary": "Called about the VPN",
            "requester_email": cast.cristina.email,
            "submission_method": "phone",
        },
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    assert ticket.requester == cast.cristina
    assert ticket.submission_method == SubmissionMethod.PHONE
    assert ticket.events.get().actor == cast.agent_help


def test_agent_cannot_create_on_a_desk_they_do_not_work(cast, api_as):
    response = api_as(cast.agent_dev).post(
        "/api/v1/tickets",
        {"desk": "HELP", "summary": "x", "requester_id": cast.cristina.pk},
    )
    assert response.status_code == 403
    assert "HELP" in response.json()["detail"]


def test_bad_input_is_a_clear_422_never_a_500(cast, api_as):
    api = api_as(cast.cristina)
    missing = api.post("/api/v1/tickets", {"desk": "HELP"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "summary"
    blank = api.post("/api/v1/tickets", {"desk": "HELP", "summary": "   "})
    assert blank.status_code == 422
    assert blank.json()["field"] == "summary"
    no_desk = api.post("/api/v1/tickets", {"desk": "NOPE", "summary": "x"})
    assert no_desk.status_code == 422
    assert no_desk.json()["field"] == "desk"
    not_json = api.client.post(
        "/api/v1/tickets",
        "{",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert not_json.status_code in (400, 422)
    assert api.get("/api/v1/tickets", {"cursor": "!!"}).status_code == 422
    assert api.get("/api/v1/tickets", {"status": "nonsense"}).status_code == 422
    assert not Ticket.objects.exists()


def test_workflow_through_the_gate(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    agent = api_as(cast.agent_help)
    path = f"/api/v1/tickets/{ticket.reference}"
    taken = agent.post(f"{path}/actions/take")
    assert taken.status_code == 200, taken.content
    assert taken.json()["status"] == Status.IN_PROGRESS
    assert taken.json()["assignee"]["id"] == cast.agent_help.pk
    refused = agent.post(f"{path}/actions/resolve", {})
    assert refused.status_code == 422
    resolved = agent.post(f"{path}/actions/resolve", {"resolution": "Reset the password."})
    assert resolved.json()["status"] == Status.RESOLVED
    # The customer's action through the same gate; one they may not take is refused.
    customer = api_as(cast.cristina)
    assert customer.post(f"{path}/actions/take").status_code in (403, 409)
    assert customer.post(f"{path}/actions/nonsense").status_code == 404
    kinds = list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.count("status_changed") == 2


def test_customer_reply_sends_back_to_support(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Which printer?",
        reason="information_needed",
    )
    response = api_as(cast.cristina).post(
        f"/api/v1/tickets/{ticket.reference}/comments", {"body": "The one upstairs"}
    )
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT


def test_read_scope_cannot_write(cast, api_as):
    api = api_as(cast.cristina, scope="read")
    assert api.get("/api/v1/tickets").status_code == 200
    response = api.post("/api/v1/tickets", {"desk": "HELP", "summary": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "scope"
    assert not Ticket.objects.exists()


def test_assign_and_participants(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    lead = api_as(cast.lead_help)
    path = f"/api/v1/tickets/{ticket.reference}"
    assigned = lead.post(f"{path}/assign", {"assignee_id": cast.agent_help.pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"]["id"] == cast.agent_help.pk
    # An agent assigns only themself.
    refused = api_as(cast.agent_help).post(f"{path}/assign", {"assignee_id": cast.lead_help.pk})
    assert refused.status_code == 403
    customer = api_as(cast.cristina)
    shared = customer.post(f"{path}/participants", {"user_id": cast.colleague.pk})
    assert shared.status_code == 200, shared.content
    assert [p["id"] for p in shared.json()["participants"]] == [cast.colleague.pk]
    # Someone of another company is no colleague.
    other = customer.post(f"{path}/participants", {"user_id": cast.other_customer.pk})
    assert other.status_code == 422
    removed = customer.delete(f"{path}/participants/{cast.colleague.pk}")
    assert removed.status_code == 200
    assert removed.json()["participants"] == []


def test_list_filters_and_cursor(cast, api_as):
    tickets = [cast.ticket(cast.cristina, summary=f"Request {n}") for n in range(5)]
    services.ticket_assign(ticket=tickets[0], actor=cast.agent_help, assignee=cast.agent_help)
    agent = api_as(cast.agent_help)
    seen = []
    cursor = None
    while True:
        data = agent.get("/api/v1/tickets", {"limit": 2, **({"cursor": cursor} if cursor else {})})
        page = data.json()
        seen += [item["reference"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(t.reference for t in tickets)
    assert len(seen) == len(set(seen))
    mine = agent.get("/api/v1/tickets", {"assignee": "me"}).json()["items"]
    assert [item["reference"] for item in mine] == [tickets[0].reference]
    waiting = agent.get("/api/v1/tickets", {"status": "waiting_for_support"}).json()["items"]
    assert len(waiting) == 5
    assert agent.get("/api/v1/tickets", {"desk": "DEV"}).json()["items"] == []
    company = agent.get("/api/v1/tickets", {"company": cast.other_sa.pk}).json()["items"]
    assert company == []


@pytest.mark.parametrize("who", ["agent_help", "cristina"])
def test_list_query_count_is_constant(cast, api_as, who):
    user = getattr(cast, who)
    api = api_as(user)
    for n in range(2):
        services.ticket_assign(
            ticket=cast.ticket(cast.cristina, summary=f"A {n}"),
            actor=cast.agent_help,
            assignee=cast.agent_help,
        )
    api.get("/api/v1/tickets")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/api/v1/tickets").json()["items"]) == 2
    for n in range(8):
        services.ticket_assign(
            ticket=cast.ticket(cast.cristina, summary=f"B {n}", priority=cast.high),
            actor=cast.agent_help,
            assignee=cast.agent_help,
        )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/tickets").json()["items"]) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_ticket_get_query_count_is_constant(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    api = api_as(cast.agent_help)
    path = f"/api/v1/tickets/{ticket.reference}"
    api.get(path)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="one")
    with CaptureQueriesContext(connection) as few:
        api.get(path)
    for n in range(5):
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body=f"more {n}")
        services.ticket_comment_add(
            ticket=ticket, author=cast.agent_help, body=f"note {n}", is_public=False
        )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(path).json()["comments"]) == 11
    assert len(many) == len(few)


def test_search(cast, api_as):
    cast.ticket(cast.cristina, summary="Imprimanta din birou")
    cast.ticket(cast.other_customer, summary="Imprimanta altcuiva")
    found = api_as(cast.cristina).get("/api/v1/search", {"q": "imprimanta"}).json()["items"]
    assert [item["summary"] for item in found] == ["Imprimanta din birou"]


def test_throttled_per_token_with_retry_after(cast, api_as, settings):
    settings.SUPPORTAL_API_REQUESTS_PER_MINUTE = 2
    api = api_as(cast.cristina)
    first = api.get("/api/v1/tickets")
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    api.get("/api/v1/tickets")
    third = api.get("/api/v1/tickets")
    assert third.status_code == 429
    assert int(third["Retry-After"]) >= 1
    # Another token has its own budget.
    assert api_as(cast.cristina).get("/api/v1/tickets").status_code == 200


def test_accept_language_translates_the_problem(cast, api_as):
    api = api_as(cast.other_customer)
    response = api.get("/api/v1/tickets/HELP-999", **{"Accept-Language": "ro"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Nu există solicitarea HELP-999."


def test_unknown_api_address_is_a_problem_404(cast, api_as):
    response = api_as(cast.cristina).get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_customer_answers_a_quote_gives_feedback_and_mutes(cast, api_as):
    from decimal import Decimal

    from supportal.tickets.models import NotificationMute

    ticket = cast.ticket(cast.cristina)
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("150.00"))
    path = f"/api/v1/tickets/{ticket.reference}"
    # Only the requester answers; a colleague who sees the request may not.
    colleague = api_as(cast.colleague).post(
        f"{path}/quotes/{quote.pk}/answer", {"is_accepted": True}
    )
    assert colleague.status_code in (403, 404)
    customer = api_as(cast.cristina)
    answered = customer.post(f"{path}/quotes/{quote.pk}/answer", {"is_accepted": True})
    assert answered.status_code == 200, answered.content
    assert answered.json()["quotes"][0]["state"] == "accepted"
    muted = customer.post(f"{path}/notifications", {"is_muted": True})
    assert muted.status_code == 200
    assert NotificationMute.objects.filter(ticket=ticket, user=cast.cristina).exists()
    early = customer.post(f"{path}/feedback", {"rating": 5})
    assert early.status_code in (409, 422)  # not resolved yet
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Done"
    )
    assert customer.post(f"{path}/feedback", {"rating": 9}).status_code == 422
    rated = customer.post(f"{path}/feedback", {"rating": 5, "message": "Fast"})
    assert rated.status_code == 200, rated.content
    assert ticket.feedback.rating == 5


def test_the_same_post_with_the_same_idempotency_key_creates_one_ticket(cast, api_as):
    api = api_as(cast.cristina)
    body = {"desk": "HELP", "summary": "Once only"}
    first = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = api.post("/api/v1/tickets", {**body, "summary": "Other"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    new_key = api.post("/api/v1/tickets", body, **{"Idempotency-Key": "k-2"})
    assert new_key.json()["reference"] != first.json()["reference"]
    # Another token's keys are its own.
    assert api_as(cast.cristina).post("/api/v1/tickets", body, **{"Idempotency-Key": "k-1"}).json()[
        "reference"
    ] not in (first.json()["reference"], new_key.json()["reference"])
    assert Ticket.objects.count() == 3


def test_throttled_per_address_whatever_the_token(cast, api_as, settings):
    settings.SUPPORTAL_API_REQUESTS_PER_MINUTE_PER_ADDRESS = 2
    assert api_as(cast.cristina).get("/api/v1/tickets").status_code == 200
    assert api_as(cast.colleague).get("/api/v1/tickets").status_code == 200
    refused = api_as(cast.agent_help).get("/api/v1/tickets")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
