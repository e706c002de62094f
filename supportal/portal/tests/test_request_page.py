"""The request page: what a customer reads there and every action they take."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.accounts.models import User
from supportal.core import paging
from supportal.desks.models import CustomField
from supportal.tickets import services
from supportal.tickets.models import Feedback, NotificationMute, QuoteState, SubmissionMethod
from supportal.tickets.workflow import Action, Status, WaitingReason


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _page(client, ticket) -> str:
    response = client.get(reverse("portal:request", args=[ticket.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_request_registered_by_phone_shows_method_contact_number_and_custom_fields(client, cast):
    CustomField.objects.create(desk=cast.help_desk, name="retailer", label="Retailer")
    CustomField.objects.create(
        desk=cast.help_desk, name="margin", label="Margin", is_visible_to_customer=False
    )
    ticket = cast.ticket(
        actor=cast.agent_help,
        submission_method=SubmissionMethod.PHONE,
        contact_phone="0721 111 222",
        custom_fields={"retailer": "Profi", "margin": "40%"},
    )
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert "Phone" in page and "0721 111 222" in page
    assert "Retailer" in page and "Profi" in page
    assert "Margin" not in page and "40%" not in page


def test_waiting_for_customer_says_why(client, cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Please try again now.",
        reason=WaitingReason.PLEASE_TEST,
    )
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert "Please test the fix and tell us the result." in page


def test_timeline_is_newest_first_with_authors(client, cast):
    ticket = cast.ticket()
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="First answer")
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Second, from me")
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert (
        page.index("Second, from me") < page.index("First answer") < page.index("Request created")
    )
    assert "Bogdan Moraru" in page and "Cristina Tănăsescu" in page


def test_comment_text_is_plain_text_with_safe_links(client, cast):
    ticket = cast.ticket()
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="See https://help.example.com/a?b=1&c=2. <img src=x onerror=alert(1)> "
        'javascript:alert(1) "https://x.test/"onmouseover=alert(1)',
    )
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert (
        '<a href="https://help.example.com/a?b=1&amp;c=2" rel="noopener nofollow noreferrer"'
        in page
    )
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page
    assert 'onmouseover=alert(1)"' not in page.split("<body>")[-1].replace("&quot;", "")


def test_comment_with_an_attachment_and_the_file_is_downloadable(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    upload = SimpleUploadedFile("screen.png", b"\x89PNG", content_type="image/png")
    response = client.post(
        reverse("portal:comment", args=[ticket.reference]),
        {"body": "Here it is", "attachments": [upload]},
    )
    assert response.status_code == 302
    attachment = ticket.attachments.get()
    page = _page(client, ticket)
    assert reverse("portal:file", args=[attachment.pk]) in page
    download = client.get(reverse("portal:file", args=[attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_html_upload_is_downloaded_never_rendered(client, cast):
    upload = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    ticket = cast.ticket(attachments=[services.NewAttachment(file=upload)])
    client.force_login(cast.cristina)
    response = client.get(reverse("portal:file", args=[ticket.attachments.get().pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_refused_comment_keeps_text_and_files(client, cast):
    ticket = cast.ticket()
    cast.help_desk.attachment_name_max_length = 10
    cast.help_desk.save()
    client.force_login(cast.cristina)
    response = client.post(
        reverse("portal:comment", args=[ticket.reference]),
        {
            "body": "my long answer",
            "attachments": [
                SimpleUploadedFile("ok.txt", b"1"),
                SimpleUploadedFile("far-too-long-name.txt", b"2"),
            ],
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "my long answer" in page and "limited to 10" in page
    token = response.context["chosen"].kept[0].token
    client.post(
        reverse("portal:comment", args=[ticket.reference]),
        {"body": "my long answer", "pending": [token]},
    )
    assert ticket.comments.get().attachments.get().file_name == "ok.txt"


def test_participants_are_added_and_removed(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert f'<option value="{cast.colleague.pk}"' in page
    assert f'<option value="{cast.other_customer.pk}"' not in page
    client.post(
        reverse("portal:participant_add", args=[ticket.reference]), {"user": cast.colleague.pk}
    )
    assert ticket.participants.filter(user=cast.colleague).exists()
    response = client.post(
        reverse("portal:participant_add", args=[ticket.reference]), {"user": cast.other_customer.pk}
    )
    assert response.status_code == 302
    assert not ticket.participants.filter(user=cast.other_customer).exists()
    client.post(reverse("portal:participant_remove", args=[ticket.reference, cast.colleague.pk]))
    assert not ticket.participants.exists()


def test_a_company_too_big_for_the_menu_shares_by_a_colleagues_address(client, cast, monkeypatch):
    """Past PICKER_LIMIT colleagues the page asks for the colleague's address instead of
    listing everyone; only a colleague's address is taken."""
    monkeypatch.setattr(paging, "PICKER_LIMIT", 1)
    User.objects.create_user("maria@example.com", organization=cast.cristina_srl)
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert "<option" not in page.split('id="participants"')[-1].split("</section>")[0]
    assert 'name="email" id="id_participant_email"' in page
    url = reverse("portal:participant_add", args=[ticket.reference])
    response = client.post(url, {"email": cast.other_customer.email}, follow=True)
    assert f"No colleague of yours has the address {cast.other_customer.email}" in (
        response.content.decode()
    )
    assert not ticket.participants.exists()
    client.post(url, {"email": "ION.Popescu@example.com"})
    assert list(ticket.participants.values_list("user", flat=True)) == [cast.colleague.pk]


def test_a_participant_may_leave_but_not_remove_others(client, cast):
    maria = User.objects.create_user("maria@example.com", organization=cast.cristina_srl)
    ticket = cast.ticket(participants=[cast.colleague, maria])
    client.force_login(cast.colleague)
    client.post(reverse("portal:participant_remove", args=[ticket.reference, maria.pk]))
    assert ticket.participants.filter(user=maria).exists()
    client.post(reverse("portal:participant_remove", args=[ticket.reference, cast.colleague.pk]))
    assert not ticket.participants.filter(user=cast.colleague).exists()


def test_resolve_this_issue_with_a_note(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    client.post(
        reverse("portal:action", args=[ticket.reference, "customer_resolve"]),
        {"comment": "Works again, thanks"},
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "Works again, thanks"


def test_cancelled_request_is_read_only_and_says_how_to_open_a_new_one(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    client.post(reverse("portal:action", args=[ticket.reference, "cancel"]), {"confirm": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    page = _page(client, ticket)
    assert "can no longer be updated" in page
    assert f"{reverse('portal:new')}?desk=HELP" in page
    assert 'name="body"' not in page
    assert "Cancel request" not in page


def test_only_customer_actions_are_accepted(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    assert client.post(reverse("portal:action", args=[ticket.reference, "take"])).status_code == 404


def test_dont_notify_me_toggles(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    assert "Don't notify me" in _page(client, ticket)
    client.post(reverse("portal:mute", args=[ticket.reference]), {"mute": "1"})
    assert NotificationMute.objects.filter(ticket=ticket, user=cast.cristina).exists()
    assert "Notify me again" in _page(client, ticket)
    client.post(reverse("portal:mute", args=[ticket.reference]), {"mute": "0"})
    assert not NotificationMute.objects.filter(ticket=ticket).exists()


def test_requester_accepts_a_quote_once(client, cast):
    ticket = cast.ticket()
    quote = services.quote_propose(
        ticket=ticket, actor=cast.agent_help, price=Decimal("450.00"), note="Two hours"
    )
    client.force_login(cast.cristina)
    page = _page(client, ticket)
    assert "450.00 RON" in page and "Accept the quote" in page
    url = reverse("portal:quote_answer", args=[ticket.reference, quote.pk])
    client.post(url, {"decision": "accept"})
    quote.refresh_from_db()
    assert quote.state == QuoteState.ACCEPTED
    response = client.post(url, {"decision": "decline"}, follow=True)
    assert "already been answered" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == QuoteState.ACCEPTED


def test_a_participant_cannot_answer_the_quote(client, cast):
    ticket = cast.ticket(participants=[cast.colleague])
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("1"))
    client.force_login(cast.colleague)
    assert "Accept the quote" not in _page(client, ticket)
    client.post(
        reverse("portal:quote_answer", args=[ticket.reference, quote.pk]), {"decision": "decline"}
    )
    quote.refresh_from_db()
    assert quote.state == QuoteState.PROPOSED


def test_feedback_once_after_resolution_also_when_closed(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    assert "How did we do?" not in _page(client, ticket)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Unblocked"
    )
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.CLOSE)
    assert "How did we do?" in _page(client, ticket)
    response = client.post(reverse("portal:feedback", args=[ticket.reference]), {"rating": "9"})
    assert response.status_code == 400
    client.post(
        reverse("portal:feedback", args=[ticket.reference]),
        {"rating": "5", "message": "Fast, thanks"},
    )
    feedback = Feedback.objects.get(ticket=ticket)
    assert (feedback.rating, feedback.message) == (5, "Fast, thanks")
    page = _page(client, ticket)
    assert "How did we do?" not in page and "5 out of 5" in page
    client.post(reverse("portal:feedback", args=[ticket.reference]), {"rating": "1"})
    assert Feedback.objects.get(ticket=ticket).rating == 5


def test_the_record_is_a_printable_page_and_a_download(client, cast):
    ticket = cast.ticket(details="Am parola blocata")
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Unblocked now")
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="internal only", is_public=False
    )
    client.force_login(cast.cristina)
    response = client.get(reverse("portal:record", args=[ticket.reference]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "supportal/record.css" in page and "Print or save as PDF" in page
    assert "Am parola blocata" in page and "Unblocked now" in page
    assert "internal only" not in page
    assert page.index("Request created") < page.index("Unblocked now")  # oldest first
    download = client.get(reverse("portal:record", args=[ticket.reference]), {"download": "1"})
    assert download["Content-Disposition"] == f'attachment; filename="{ticket.reference}.html"'
    assert "<style>" in download.content.decode() and "@media print" in download.content.decode()
    assert "script-src" not in download["Content-Security-Policy"]


def test_agents_opening_a_portal_link_are_sent_to_the_workspace(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    response = client.get(reverse("portal:request", args=[ticket.reference]))
    assert response.status_code == 302
    assert ticket.reference in response.url
