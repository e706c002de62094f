"""The portal's HTTP contract: what a customer sees, and what they may not."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.tickets import services
from supportal.tickets.workflow import Action, Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_anonymous_visitor_is_sent_to_log_in(client, db):  # the site language is stored
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_customer_logs_in_with_email_and_sees_own_request(client, cast):
    ticket = cast.ticket()
    response = client.post(
        "/login/", {"username": "Cristina.Tanasescu@example.com", "password": "parola123"}
    )
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert ticket.reference in page
    assert "Waiting for support" in page


def test_wrong_password_says_so_and_keeps_the_address(client, cast):
    response = client.post("/login/", {"username": cast.cristina.email, "password": "nope"})
    assert response.status_code == 200
    assert cast.cristina.email in response.content.decode()


def test_customer_of_another_company_gets_not_found(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.other_customer)
    assert client.get(reverse("portal:request", args=[ticket.reference])).status_code == 404
    response = client.post(reverse("portal:comment", args=[ticket.reference]), {"body": "hi"})
    assert response.status_code == 404
    assert ticket.comments.count() == 0


def test_customer_never_sees_internal_notes(client, cast):
    ticket = cast.ticket()
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="secret margin 40%", is_public=False
    )
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Hello Cristina")
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert "Hello Cristina" in page
    assert "secret margin" not in page


def test_customer_answer_sends_request_back_to_support(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Which user?"
    )
    client.force_login(cast.cristina)
    response = client.post(
        reverse("portal:comment", args=[ticket.reference]), {"body": "cristina.t"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT


def test_comment_on_closed_request_is_refused_and_text_kept(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.cristina, action=Action.CANCEL)
    client.force_login(cast.cristina)
    response = client.post(
        reverse("portal:comment", args=[ticket.reference]), {"body": "one more thing"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "open a new request" in page
    assert "one more thing" in page


def test_user_text_is_escaped(client, cast):
    ticket = cast.ticket(summary="<script>alert(1)</script>")
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_requester_can_resolve_own_request(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    client.post(reverse("portal:action", args=[ticket.reference, "customer_resolve"]))
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_file_download_is_permission_checked(client, cast):
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 data", content_type="application/pdf")
    ticket = cast.ticket(attachments=[services.NewAttachment(file=upload)])
    attachment = ticket.attachments.get()
    url = reverse("portal:file", args=[attachment.pk])
    client.force_login(cast.cristina)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 data"
    client.force_login(cast.colleague)  # same company, but attachments are not shared
    assert client.get(url).status_code == 404
    client.force_login(cast.agent_dev)  # agent of another desk
    assert client.get(url).status_code == 404


def test_request_list_queries_do_not_grow_with_rows(client, cast, django_assert_max_num_queries):
    client.force_login(cast.cristina)
    cast.ticket()
    # Cold cache: the first page also computes the footer's opening hours (then cached).
    with django_assert_max_num_queries(20) as few:
        client.get("/?status=any")
    for _ in range(20):
        cast.ticket()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/?status=any")
    assert response.content.decode().count("/requests/HELP-") == 21


def test_pages_send_a_content_security_policy(client, cast):
    client.force_login(cast.cristina)
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_customer_searches_own_requests_ignoring_diacritics(client, cast):
    wanted = cast.ticket(summary="Tastatură defectă")
    other = cast.ticket(summary="Imprimanta")
    client.force_login(cast.cristina)
    page = client.get("/", {"q": "tastatura", "status": "any"}).content.decode()
    assert wanted.reference in page
    assert other.reference not in page
