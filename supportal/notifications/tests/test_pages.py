"""The one-click "don't notify me" link, agents' choices and the administrators' mail catcher."""

from __future__ import annotations

import pytest
from django.test import Client

from supportal.mail.models import OutboundEmail
from supportal.notifications.models import AgentNotificationPreference
from supportal.notifications.services import mute_token_make
from supportal.tickets.models import Event, EventKind, NotificationMute

pytestmark = pytest.mark.django_db


def mute_path(ticket, user) -> str:
    return f"/notifications/mute/{mute_token_make(ticket=ticket, user=user)}/"


def test_the_mute_link_shows_a_confirmation_page_without_login_and_changes_nothing(cast, client):
    ticket = cast.ticket()
    response = client.get(mute_path(ticket, cast.cristina))
    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.reference in page
    assert "cristina.tanasescu@example.com" in page
    assert "Don&#x27;t notify me" in page or "Don't notify me" in page
    assert not NotificationMute.objects.exists()


def test_posting_the_mute_link_opts_out_without_session_or_csrf_token(cast):
    ticket = cast.ticket()
    client = Client(enforce_csrf_checks=True)
    # RFC 8058: the mail provider posts exactly this body.
    response = client.post(
        mute_path(ticket, cast.cristina),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert NotificationMute.objects.filter(ticket=ticket, user=cast.cristina).exists()
    assert Event.objects.filter(ticket=ticket, kind=EventKind.NOTIFICATIONS_CHANGED).exists()
    assert "Requests for information and the resolution will still reach you." in (
        response.content.decode()
    )
    # Twice is harmless.
    assert client.post(mute_path(ticket, cast.cristina)).status_code == 200
    assert NotificationMute.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_mute_link_is_refused(cast, client, method):
    ticket = cast.ticket()
    token = mute_token_make(ticket=ticket, user=cast.cristina)
    forged = mute_token_make(ticket=ticket, user=cast.colleague).split(":")[0]
    for bad in (token[:-2] + "xx", forged + ":" + token.split(":", 1)[1], "nonsense"):
        response = getattr(client, method)(f"/notifications/mute/{bad}/")
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
    assert not NotificationMute.objects.exists()


def test_a_mute_link_of_someone_who_may_no_longer_see_the_request_is_refused(cast, client):
    ticket = cast.ticket(requester=cast.other_customer)
    response = client.post(mute_path(ticket, cast.cristina))
    assert response.status_code == 404
    assert not NotificationMute.objects.exists()


def test_agents_choose_their_mails_on_their_preferences_page(cast, client):
    client.force_login(cast.agent_help)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    assert "a request assigned to me" in page.content.decode()
    response = client.post("/notifications/preferences/", {"has_assignment_mail": "on"})
    assert response.status_code == 302
    preference = AgentNotificationPreference.objects.get(user=cast.agent_help)
    assert preference.has_assignment_mail
    assert not preference.has_new_ticket_mail
    assert not preference.has_customer_answer_mail
    assert not preference.has_third_party_answer_mail


def test_customers_have_no_agent_preferences_page(cast, client):
    client.force_login(cast.cristina)
    # The 403 page, not the log-in page (which sent a signed-in customer back: a loop).
    assert client.get("/notifications/preferences/").status_code == 403


def _outbound(number: int) -> OutboundEmail:
    from django.utils import timezone

    return OutboundEmail.objects.create(
        to=[f"customer{number}@example.com"],
        from_email="support@localhost",
        subject=f"HELP-{number} Summary",
        body_text="Text",
        body_html='<p style="color:red">HTML</p>',
        message_id=f"<m{number}@localhost>",
        next_attempt_at=timezone.now(),
    )


def test_the_mail_catcher_lists_every_mail_for_administrators_only(cast, client):
    email = _outbound(1)
    for user in (cast.agent_help, cast.cristina):
        client.force_login(user)
        assert client.get("/notifications/outbox/").status_code == 404
        assert client.get(f"/notifications/outbox/{email.pk}/").status_code == 404
        assert client.get(f"/notifications/outbox/{email.pk}/html/").status_code == 404
    client.force_login(cast.admin)
    listing = client.get("/notifications/outbox/")
    assert "HELP-1 Summary" in listing.content.decode()
    detail = client.get(f"/notifications/outbox/{email.pk}/")
    assert "&lt;m1@localhost&gt;" in detail.content.decode()
    html = client.get(f"/notifications/outbox/{email.pk}/html/")
    assert html.content == b'<p style="color:red">HTML</p>'
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "script" not in html.headers["Content-Security-Policy"]


def test_the_mail_catcher_queries_do_not_grow_with_rows(
    cast, client, django_assert_max_num_queries
):
    client.force_login(cast.admin)
    _outbound(1)
    with django_assert_max_num_queries(8) as few:
        client.get("/notifications/outbox/")
    for number in range(2, 30):
        _outbound(number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/notifications/outbox/?state=pending")
    assert response.content.decode().count("/notifications/outbox/") >= 29


def test_agents_see_on_the_ticket_page_why_a_mail_was_held(cast, client):
    from django.utils import timezone

    from supportal.notifications.services import address_suppress, notifications_send_due

    address_suppress(email="cristina.tanasescu@example.com", detail="550 5.1.1 no such user")
    ticket = cast.ticket(actor=cast.agent_help)
    notifications_send_due(timezone.now())
    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert "E-mail not sent" in page
    assert "550 5.1.1 no such user" in page
    client.force_login(cast.cristina)
    assert "550 5.1.1" not in client.get(f"/requests/{ticket.reference}/").content.decode()
