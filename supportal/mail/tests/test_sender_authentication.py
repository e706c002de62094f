"""Forged senders (docs/security.md, Inbound mail): the From: header alone never makes anyone the
author.

Mail is signed with a DKIM key each test run makes, and every DNS answer comes from the local
server on 127.0.0.1 (the ``local_dns`` fixture): nothing leaves the machine.
"""

from __future__ import annotations

import base64
import shutil
import smtplib
import subprocess

import dkim
import pytest
from django.utils import timezone

from supportal.desks.models import UnverifiedSenderMail
from supportal.mail.inbound import Decision, inbound_process_one
from supportal.mail.inbound.auth import sender_verify
from supportal.mail.inbound.tokens import personal_reply_address
from supportal.mail.management.commands.run_smtp import smtp_controller
from supportal.mail.models import InboundMessage, InboundState, OutboundEmail
from supportal.mail.tests.test_inbound_processing import deliver, mail
from supportal.tickets.models import Comment

AGENT = "Bogdan Moraru <bogdan.moraru@support.test>"
SELECTOR = "s2026"


@pytest.fixture(scope="session")
def dkim_key() -> tuple[bytes, str]:
    """A fresh RSA key: (private key PEM, public key as in a DKIM DNS record)."""
    openssl = shutil.which("openssl") or "openssl"
    private = subprocess.run(  # noqa: S603 — openssl, fixed arguments
        [openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        check=True,
        capture_output=True,
    ).stdout
    public = subprocess.run(  # noqa: S603
        [openssl, "pkey", "-pubout", "-outform", "DER"],
        input=private,
        check=True,
        capture_output=True,
    ).stdout
    return private, base64.b64encode(public).decode("ascii")


@pytest.fixture
def signer(dkim_key, local_dns):
    """Sign mail as ``domain`` (publishing the key in the local DNS)."""
    private, public = dkim_key

    def sign(raw: bytes, domain: str) -> bytes:
        local_dns.add(f"{SELECTOR}._domainkey.{domain}", "TXT", f"v=DKIM1; k=rsa; p={public}")
        signature = dkim.sign(
            raw,
            SELECTOR.encode(),
            domain.encode(),
            private,
            include_headers=[b"from", b"to", b"subject", b"message-id"],
        )
        return signature + raw

    return sign


def agent_reply(ticket, body: str = "Am deblocat contul.", **fields) -> bytes:
    fields.setdefault("sender", AGENT)
    fields.setdefault("subject", f"Re: {ticket.reference} {ticket.summary}")
    return mail(body=body, **fields)


def customer_mails() -> list[str]:
    return [address for row in OutboundEmail.objects.all() for address in row.to]


# --- Agents ---------------------------------------------------------------------------------


def test_a_forged_agent_reply_is_quarantined_and_reaches_no_customer(cast):
    ticket = cast.ticket()
    OutboundEmail.objects.all().delete()
    message = deliver(agent_reply(ticket, body="Trimiteți parola la attacker@evil.example"))
    assert message.state == InboundState.QUARANTINED
    assert message.outcome["reason_code"] == "unverified_agent"
    assert message.sender_verified is False
    assert not Comment.objects.filter(ticket=ticket, body__contains="attacker").exists()
    assert cast.cristina.email not in customer_mails()


def test_a_dkim_signed_agent_reply_becomes_an_internal_note(cast, signer):
    ticket = cast.ticket()
    OutboundEmail.objects.all().delete()
    message = deliver(signer(agent_reply(ticket), "support.test"))
    assert message.sender_verified is True
    assert message.authentication["dkim"] == [{"domain": "support.test", "result": "pass"}]
    assert message.state == InboundState.PROCESSED
    assert message.outcome["result"] == "noted"
    comment = message.comment
    assert comment.author == cast.agent_help
    assert comment.body == "Am deblocat contul."
    assert not comment.is_public
    assert cast.cristina.email not in customer_mails()


def test_an_agent_makes_a_mailed_reply_public_with_the_marker_or_the_desk_setting(cast, signer):
    ticket = cast.ticket()
    message = deliver(
        signer(agent_reply(ticket, body="#public\nAm deblocat contul."), "support.test")
    )
    assert message.outcome["result"] == "commented"
    assert message.comment.is_public
    assert message.comment.body == "Am deblocat contul."

    cast.help_desk.agent_mail_replies_public = True
    cast.help_desk.save()
    again = deliver(signer(agent_reply(ticket, body="Gata."), "support.test"))
    assert again.comment.is_public


def test_a_tampered_signature_proves_nothing(cast, signer):
    ticket = cast.ticket()
    signed = signer(agent_reply(ticket, body="Am deblocat contul."), "support.test")
    tampered = signed.replace(b"Am deblocat contul.", b"Parola noua: 1234.")
    message = deliver(tampered)
    assert message.authentication["dkim"] == [{"domain": "support.test", "result": "fail"}]
    assert message.state == InboundState.QUARANTINED


def test_a_signature_of_another_domain_is_not_aligned(cast, signer):
    ticket = cast.ticket()
    message = deliver(signer(agent_reply(ticket), "evil.example"))
    assert message.authentication["dkim"] == [{"domain": "evil.example", "result": "pass"}]
    assert message.sender_verified is False
    assert message.state == InboundState.QUARANTINED


def test_an_agent_replying_on_their_own_personal_address_is_trusted(cast):
    ticket = cast.ticket()
    address = personal_reply_address(ticket=ticket, user=cast.agent_help)
    message = deliver(agent_reply(ticket, to=address))
    assert message.state == InboundState.PROCESSED
    assert message.outcome["threaded_by"] == "its personal reply address"
    assert message.outcome["result"] == "noted"
    assert not message.comment.is_public


def test_a_personal_address_proves_nothing_for_another_sender(cast):
    ticket = cast.ticket()
    # Cristina's reply address, leaked or forwarded, with an agent's From:
    address = personal_reply_address(ticket=ticket, user=cast.cristina)
    message = deliver(agent_reply(ticket, to=address))
    assert message.state == InboundState.QUARANTINED
    assert message.outcome["reason_code"] == "unverified_agent"


def test_an_agent_may_still_attach_a_quarantined_forgery_as_a_note_by_nobody(cast):
    ticket = cast.ticket()
    message = deliver(agent_reply(ticket))
    decided = inbound_process_one(message.pk, decision=Decision.ATTACH)
    assert decided.state == InboundState.PROCESSED
    assert decided.comment.author is None
    assert not decided.comment.is_public


def test_the_agents_notification_says_what_a_reply_by_mail_does(cast):
    from supportal.core.jobs import worker_tick

    ticket = cast.ticket()
    worker_tick(holder="test")
    mailed = OutboundEmail.objects.filter(to=[cast.lead_help.email]).latest("pk")
    assert "#public" in mailed.body_text
    assert mailed.reply_to == personal_reply_address(ticket=ticket, user=cast.lead_help)
    assert mailed.reply_to != personal_reply_address(ticket=ticket, user=cast.cristina)


# --- Customers ------------------------------------------------------------------------------


def test_an_unverified_customer_is_accepted_and_marked_by_default(cast):
    ticket = cast.ticket()
    message = deliver(mail(subject=f"Re: {ticket.reference}", body="Tot nu merge."))
    assert message.outcome["result"] == "commented"
    assert message.marked_unverified is True
    assert message.comment.author == cast.cristina


@pytest.mark.parametrize(
    ("policy", "state", "marked"),
    [
        (UnverifiedSenderMail.ACCEPT, InboundState.PROCESSED, False),
        (UnverifiedSenderMail.QUARANTINE, InboundState.QUARANTINED, False),
    ],
)
def test_the_desk_chooses_what_becomes_of_unverified_customers(cast, policy, state, marked):
    cast.help_desk.unverified_sender_mail = policy
    cast.help_desk.save()
    message = deliver(mail(subject="O problemă nouă"))
    assert message.state == state
    assert message.marked_unverified is marked


def test_a_verified_customer_is_not_marked_even_on_a_quarantining_desk(cast, signer):
    cast.help_desk.unverified_sender_mail = UnverifiedSenderMail.QUARANTINE
    cast.help_desk.save()
    message = deliver(signer(mail(subject="O problemă nouă"), "example.com"))
    assert message.state == InboundState.PROCESSED
    assert message.sender_verified is True
    assert message.marked_unverified is False


# --- Authentication-Results of our own mail server ------------------------------------------


def results(authserv_id: str) -> dict[str, str]:
    return {
        "Authentication-Results": f"{authserv_id}; dkim=pass header.d=support.test; "
        "spf=pass smtp.mailfrom=bogdan.moraru@support.test; dmarc=pass header.from=support.test"
    }


def test_authentication_results_are_trusted_only_from_the_configured_hosts(cast, settings):
    settings.SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS = ["mx.support.test"]
    ticket = cast.ticket()
    trusted = deliver(agent_reply(ticket, headers=results("mx.support.test")))
    assert trusted.sender_verified is True
    assert trusted.authentication["checked_by"] == "Authentication-Results of mx.support.test"
    assert trusted.outcome["result"] == "noted"

    forged = deliver(agent_reply(ticket, headers=results("mx.evil.example")))
    assert forged.sender_verified is False
    assert forged.state == InboundState.QUARANTINED


def test_a_dmarc_fail_from_the_trusted_host_is_not_verified(settings):
    settings.SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS = ["mx.support.test"]
    raw = mail(
        sender=AGENT,
        headers={"Authentication-Results": "mx.support.test; dmarc=fail header.from=support.test"},
    )
    assert sender_verify(raw).verified is False


# --- SPF through our own SMTP listener ------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send_over_smtp(raw: bytes, envelope_from: str, to: str) -> None:
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail(envelope_from, [to], raw)
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_spf_for_the_connecting_host_verifies_an_aligned_sender(cast, local_dns):
    local_dns.add("support.test", "TXT", "v=spf1 ip4:127.0.0.1 -all")
    ticket = cast.ticket()
    _send_over_smtp(agent_reply(ticket), "bogdan.moraru@support.test", "support@localhost")
    message = InboundMessage.objects.get()
    processed = inbound_process_one(message.pk, now=timezone.now())
    assert processed.authentication["spf"] == "pass"
    assert processed.sender_verified is True
    assert processed.outcome["result"] == "noted"


@pytest.mark.django_db(transaction=True)
def test_spf_that_does_not_list_the_host_fails(cast, local_dns):
    local_dns.add("support.test", "TXT", "v=spf1 ip4:192.0.2.1 -all")
    local_dns.add("_dmarc.support.test", "TXT", "v=DMARC1; p=reject")
    ticket = cast.ticket()
    _send_over_smtp(agent_reply(ticket), "bogdan.moraru@support.test", "support@localhost")
    processed = inbound_process_one(InboundMessage.objects.get().pk, now=timezone.now())
    assert processed.authentication["spf"] == "fail"
    assert processed.authentication["dmarc"] == "fail"
    assert processed.authentication["dmarc_policy"] == "reject"
    assert processed.state == InboundState.QUARANTINED


def test_a_forged_customer_reply_by_an_agent_mail_never_changes_the_request(cast):
    """The attack of the issue, end to end: "Re: HELP-1" from an agent's address."""
    ticket = cast.ticket()
    status_before = ticket.status
    deliver(agent_reply(ticket))
    ticket.refresh_from_db()
    assert ticket.status == status_before
    assert not ticket.comments.filter(author=cast.agent_help).exists()


def test_agents_see_which_mailed_comments_come_from_an_unverified_sender(cast, client, signer):
    ticket = cast.ticket()
    deliver(mail(subject=f"Re: {ticket.reference}", body="Nesemnat."))
    deliver(signer(mail(subject=f"Re: {ticket.reference}", body="Semnat."), "example.com"))
    client.force_login(cast.agent_help)
    page = client.get(f"/agent/tickets/{ticket.reference}/").content.decode()
    assert page.count("Sender not verified") == 1
    unsigned, signed = page.index("Nesemnat."), page.index("Semnat.")
    marker = page.index("Sender not verified")
    assert abs(marker - unsigned) < abs(marker - signed)
