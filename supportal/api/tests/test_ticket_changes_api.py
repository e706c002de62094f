"""Attachments uploaded, fields changed and stale changes refused (If-Match) through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportal.desks.models import CustomField, CustomFieldKind
from supportal.tickets import services
from supportal.tickets.models import Attachment, Event, EventKind

pytestmark = pytest.mark.django_db


def _file(name: str = "screen.png", content: bytes = b"\x89PNG fake image") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# -- attachments ------------------------------------------------------------------------------


def test_customer_uploads_files_and_downloads_them(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    api = api_as(cast.cristina)
    response = api.upload(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        {"files": [_file(), _file("log.txt", b"line 1\n")], "body": "Here is the screen"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["body"] == "Here is the screen"
    assert data["via"] == "api"
    assert [a["file_name"] for a in data["attachments"]] == ["screen.png", "log.txt"]
    download = api.get(data["attachments"][1]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"line 1\n"
    # The agent sees them on the ticket, as from the portal.
    detail = api_as(cast.agent_help).get(f"/api/v1/tickets/{ticket.reference}").json()
    assert {a["file_name"] for a in detail["attachments"]} == {"screen.png", "log.txt"}


def test_file_over_the_desk_limit_is_refused_and_nothing_is_stored(cast, api_as):
    cast.help_desk.attachment_max_bytes = 10
    cast.help_desk.save()
    ticket = cast.ticket(cast.cristina)
    response = api_as(cast.cristina).upload(
        f"/api/v1/tickets/{ticket.reference}/attachments",
        {"files": [_file("big.bin", b"x" * 11)], "body": "too big"},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "big.bin" in response.json()["detail"]
    assert response.json()["field"] == "attachments"
    assert not Attachment.objects.filter(ticket=ticket).exists()
    assert not ticket.comments.exists()


def test_empty_file_and_long_name_are_refused(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    api = api_as(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}/attachments"
    empty = api.upload(path, {"files": [_file("empty.txt", b"")]})
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    long_name = "a" * (cast.help_desk.attachment_name_max_length + 1) + ".txt"
    assert api.upload(path, {"files": [_file(long_name)]}).status_code == 422
    assert api.upload(path, {"body": "no file"}).status_code == 422
    assert not Attachment.objects.filter(ticket=ticket).exists()


def test_uploads_follow_the_web_permissions(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}/attachments"
    assert api_as(cast.other_customer).upload(path, {"files": [_file()]}).status_code == 404
    internal = api_as(cast.cristina).upload(path, {"files": [_file()], "is_public": "false"})
    assert internal.status_code == 422
    assert api_as(cast.cristina, scope="read").upload(path, {"files": [_file()]}).status_code == 403
    note = api_as(cast.agent_help).upload(path, {"files": [_file()], "is_public": "false"})
    assert note.status_code == 201
    assert note.json()["attachments"][0]["is_internal"] is True
    customer_view = api_as(cast.cristina).get(f"/api/v1/tickets/{ticket.reference}").json()
    assert customer_view["attachments"] == []
    attachment_id = note.json()["attachments"][0]["id"]
    assert api_as(cast.cristina).get(f"/api/v1/attachments/{attachment_id}").status_code == 404


def test_upload_with_idempotency_key_stores_once(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    api = api_as(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}/attachments"
    first = api.upload(path, {"files": [_file()]}, **{"Idempotency-Key": "up-1"})
    again = api.upload(path, {"files": [_file()]}, **{"Idempotency-Key": "up-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Attachment.objects.filter(ticket=ticket).count() == 1
    other = api.upload(path, {"files": [_file("other.png")]}, **{"Idempotency-Key": "up-1"})
    assert other.status_code == 422


# -- fields -----------------------------------------------------------------------------------


def test_agent_changes_fields_with_one_event_each(cast, api_as):
    CustomField.objects.create(desk=cast.help_desk, name="retailer", label="Retailer")
    CustomField.objects.create(
        desk=cast.help_desk, name="units", label="Units", kind=CustomFieldKind.NUMBER
    )
    ticket = cast.ticket(cast.cristina)
    before = Event.objects.filter(ticket=ticket, kind=EventKind.FIELD_CHANGED).count()
    response = api_as(cast.agent_help).patch(
        f"/api/v1/tickets/{ticket.reference}",
        {
            "priority_id": cast.high.pk,
            "request_type_id": cast.bug.pk,
            "summary": "Password locked again",
            "custom_fields": {"retailer": "Altex", "units": 3},
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["priority"]["id"] == cast.high.pk
    assert data["request_type"]["id"] == cast.bug.pk
    assert data["summary"] == "Password locked again"
    assert data["custom_fields"] == {"retailer": "Altex", "units": "3"}
    changed = Event.objects.filter(ticket=ticket, kind=EventKind.FIELD_CHANGED).count() - before
    assert changed == 5
    # null clears; fields not sent keep their values.
    cleared = api_as(cast.agent_help).patch(
        f"/api/v1/tickets/{ticket.reference}", {"priority_id": None}
    )
    assert cleared.json()["priority"] is None
    assert cleared.json()["request_type"]["id"] == cast.bug.pk


def test_field_changes_are_refused_like_in_the_web(cast, api_as):
    CustomField.objects.create(
        desk=cast.help_desk, name="units", label="Units", kind=CustomFieldKind.NUMBER
    )
    ticket = cast.ticket(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}"
    assert api_as(cast.cristina).patch(path, {"summary": "Mine"}).status_code == 403
    assert api_as(cast.agent_dev).patch(path, {"summary": "Other desk"}).status_code == 404
    agent = api_as(cast.agent_help)
    other_desk_type = cast.dev_desk.request_types.create(name="Dev only")
    wrong_type = agent.patch(path, {"request_type_id": other_desk_type.pk})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["field"] == "request_type_id"
    not_a_number = agent.patch(path, {"custom_fields": {"units": "many"}})
    assert not_a_number.status_code == 422
    assert "Units" in not_a_number.json()["detail"]
    assert agent.patch(path, {"custom_fields": {"nope": "x"}}).status_code == 422
    assert agent.patch(path, {"summary": "   "}).status_code == 422
    ticket.refresh_from_db()
    assert ticket.summary == "Parola blocată"
    assert ticket.custom_fields in ({}, None)


# -- optimistic concurrency -------------------------------------------------------------------


def test_etag_and_if_match(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    agent = api_as(cast.agent_help)
    path = f"/api/v1/tickets/{ticket.reference}"
    read = agent.get(path)
    etag = read["ETag"]
    assert etag == f'"{read.json()["version"]}"'
    # Somebody else changes the request after we read it.
    services.ticket_comment_add(ticket=ticket, author=cast.lead_help, body="I look at it")
    stale = agent.post(f"{path}/comments", {"body": "Mine"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "stale"
    assert ticket.reference in stale.json()["detail"]
    assert stale["ETag"] != etag
    assert not ticket.comments.filter(body="Mine").exists()
    stale_patch = agent.patch(path, {"summary": "New"}, **{"If-Match": etag})
    assert stale_patch.status_code == 412
    # With the new version the change is made, and answers the next version.
    fresh = agent.get(path)["ETag"]
    done = agent.patch(path, {"priority_id": cast.high.pk}, **{"If-Match": fresh})
    assert done.status_code == 200
    assert done["ETag"] not in (fresh, etag)
    assert done["ETag"] == agent.get(path)["ETag"]
    assert agent.post(f"{path}/actions/take", {}, **{"If-Match": "*"}).status_code == 200
    # Without If-Match nothing is checked; a comment's answer carries the new version too.
    commented = agent.post(f"{path}/comments", {"body": "Unchecked"})
    assert commented.status_code == 201
    assert commented["ETag"] == agent.get(path)["ETag"]
    uploaded = agent.upload(
        f"{path}/attachments", {"files": [_file()]}, **{"If-Match": commented["ETag"]}
    )
    assert uploaded.status_code == 201
    assert uploaded["ETag"] == agent.get(path)["ETag"] != commented["ETag"]


def test_customer_version_ignores_internal_notes(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    customer = api_as(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}"
    etag = customer.get(path)["ETag"]
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Internal", is_public=False
    )
    assert customer.get(path)["ETag"] == etag
    response = customer.post(f"{path}/comments", {"body": "Still there?"}, **{"If-Match": etag})
    assert response.status_code == 201
    assert response.json()["body"] == "Still there?"
    uploaded = customer.upload(f"{path}/attachments", {"files": [_file()]}, **{"If-Match": etag})
    assert uploaded.status_code == 412


# -- validation messages ----------------------------------------------------------------------


def test_validation_messages_are_ours_and_name_the_field(cast, api_as):
    api = api_as(cast.agent_help)
    bad_date = api.get("/api/v1/tickets", {"updated_since": "yesterday"})
    assert bad_date.status_code == 422
    body = bad_date.json()
    assert body["field"] == "updated_since"
    assert body["errors"][0]["message"].startswith("Enter a date and time (ISO 8601")
    assert "Enter a date and time" in body["detail"]
    too_many = api.get("/api/v1/tickets", {"limit": "1000"})
    assert too_many.json()["errors"][0]["message"] == "Enter a value of at most 100."
    missing = api.post("/api/v1/tickets", {"desk": "HELP"})
    assert missing.json()["errors"][0] == {"field": "summary", "message": "This field is required."}
    not_a_number = api.patch("/api/v1/tickets/HELP-1", {"priority_id": "high"})
    assert not_a_number.json()["errors"][0]["message"] == "Enter a whole number."


def test_agent_proposes_a_quote_that_the_customer_accepts(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}"
    body = {"price": "1250.50", "deadline": "2027-01-15", "note": "Two days of work."}
    agent = api_as(cast.agent_help)
    proposed = agent.post(f"{path}/quotes", body)
    assert proposed.status_code == 200, proposed.content
    [quote] = proposed.json()["quotes"]
    assert (quote["price"], quote["currency"], quote["state"]) == ("1250.50", "RON", "proposed")
    assert quote["deadline"] == "2027-01-15"
    # The same event as the workspace's, so the requester is told and webhooks hear of it.
    assert Event.objects.filter(ticket=ticket, kind="quote_proposed").count() == 1

    customer = api_as(cast.cristina)
    answer = customer.post(f"{path}/quotes/{quote['id']}/answer", {"is_accepted": True})
    assert answer.json()["quotes"][0]["state"] == "accepted"

    # A second proposal withdraws nothing answered; a new one replaces an unanswered one.
    again = agent.post(f"{path}/quotes", {"price": "10"}).json()["quotes"]
    assert [q["state"] for q in again] == ["accepted", "proposed"]


def test_only_the_desks_agents_propose_quotes_and_nonsense_is_refused(cast, api_as):
    ticket = cast.ticket(cast.cristina)
    path = f"/api/v1/tickets/{ticket.reference}/quotes"
    assert api_as(cast.cristina).post(path, {"price": "1"}).status_code == 403
    assert api_as(cast.other_customer).post(path, {"price": "1"}).status_code == 404
    assert api_as(cast.agent_dev).post(path, {"price": "1"}).status_code == 404
    agent = api_as(cast.agent_help)
    for bad in ({"price": "-5"}, {"price": "1.234"}, {"price": "1", "currency": "LEI!"}, {}):
        answer = agent.post(path, bad)
        assert answer.status_code == 422, (bad, answer.content)
        assert answer["Content-Type"].startswith("application/problem+json")
    assert not ticket.quotes.exists()
