"""End to end: a customer answers a notification from their mail client; the answer travels
through our SMTP listener and the worker and lands on the right request."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest
from django.utils import timezone

from supportal.core.jobs import worker_tick
from supportal.mail.management.commands.run_smtp import smtp_controller
from supportal.mail.models import InboundMessage, InboundState, OutboundEmail
from supportal.tickets import services
from supportal.tickets.workflow import Action, Status


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_a_notification_through_smtp_is_a_comment_and_goes_back_to_support(cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Ce browser folosiți?",
        reason="information_needed",
    )
    worker_tick(holder="test")  # notifications → outbox rows
    notification = OutboundEmail.objects.filter(
        ticket=ticket, to=[cast.cristina.email], template="ticket_updated"
    ).latest("pk")

    reply = EmailMessage()
    reply["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
    reply["To"] = notification.reply_to
    reply["Subject"] = f"Re: {notification.subject}"
    reply["Message-ID"] = "<reply-1@example.com>"
    reply["In-Reply-To"] = notification.message_id
    reply["References"] = notification.headers["References"]
    reply.set_content(
        "Folosesc Firefox.\n\n"
        f"În data de luni, {notification.from_email} a scris:\n> Ce browser folosiți?\n"
    )
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(reply, to_addrs=[notification.reply_to])
    finally:
        controller.stop()

    handled = worker_tick(holder="test", now=timezone.now())
    assert handled["mail.inbound"] == 1
    message = InboundMessage.objects.get()
    assert message.state == InboundState.PROCESSED
    assert message.outcome["result"] == "commented"
    # The reply address was Cristina's own: the reply is hers, though no DKIM signed it.
    assert message.outcome["threaded_by"] == "its personal reply address"
    assert message.outcome["sender_verified"] is True
    assert message.peer_ip == "127.0.0.1"
    assert message.sender_verified is False  # the domain check, recorded
    assert message.marked_unverified is False
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    comment = ticket.comments.filter(is_public=True, author=cast.cristina).get()
    assert comment.body == "Folosesc Firefox."
    assert comment.via == "email"


@pytest.mark.django_db(transaction=True)
def test_someone_in_cc_from_outside_is_shared_with_in_one_click_and_gets_the_updates(cast, client):
    """docs/languages.md#customers-who-only-use-e-mail: the customer's mail copies a person from
    another firm; the agent sees the address on the request and adds it with one click; that
    person then receives the public updates."""
    ticket = cast.ticket()
    mail = EmailMessage()
    mail["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
    mail["To"] = "support@localhost"
    mail["Cc"] = "Ion Retailer <ion@profi.example>, bogdan.moraru@support.test"
    mail["Subject"] = f"Re: [{ticket.reference}] {ticket.summary}"
    mail["Message-ID"] = "<cc-1@example.com>"
    mail.set_content("Îl adaug pe Ion de la Profi, el are detaliile.")
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(mail, to_addrs=["support@localhost"])
    finally:
        controller.stop()
    worker_tick(holder="test", now=timezone.now())
    assert InboundMessage.objects.get().outcome["result"] == "commented"

    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert 'id="copied"' in page and "ion@profi.example" in page
    assert "bogdan.moraru@support.test</li>" not in page  # the support team is not offered
    answer = client.post(
        f"/agent/tickets/{ticket.reference}/participants/", {"email": "ion@profi.example"}
    )
    assert answer.status_code == 302
    assert ticket.participants.filter(user__email="ion@profi.example").exists()
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert 'id="copied"' not in page  # on the request now

    OutboundEmail.objects.all().delete()
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Am găsit cauza.")
    worker_tick(holder="test")
    assert OutboundEmail.objects.filter(to=["ion@profi.example"]).exists()
