"""Inbound mail, step two: stored messages become requests and comments, once, for the right
people — and machine-written mail never does."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.utils import timezone

from supportal.accounts.models import OrganizationDomain, User
from supportal.desks.models import Desk
from supportal.mail.inbound import inbound_process_due, inbound_process_one, inbound_store
from supportal.mail.inbound.decide import NEW_REQUESTS_PER_SENDER_PER_HOUR
from supportal.mail.models import (
    InboundChannel,
    InboundMessage,
    InboundState,
    OutboundEmail,
)
from supportal.notifications.models import SuppressedAddress
from supportal.notifications.services import reply_address_get, thread_root_id
from supportal.tickets import services
from supportal.tickets.models import Comment, Participant, SubmissionMethod, Ticket
from supportal.tickets.workflow import Action, Status


def mail(
    *,
    sender: str = "Cristina Tănăsescu <cristina.tanasescu@example.com>",
    to: str = "support@localhost",
    subject: str = "Parola blocată",
    body: str = "Am parola blocata, rog deblocare",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    html: str | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@mail.example.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def deliver(raw: bytes, **store) -> InboundMessage:
    stored = inbound_store(raw, channel=store.pop("channel", InboundChannel.SMTP), **store)
    return inbound_process_one(stored.message.pk)


def reply_to_notification(ticket: Ticket, **fields) -> bytes:
    """A customer's reply to the last notification of ``ticket``, as mail clients write it."""
    sent = OutboundEmail.objects.filter(ticket=ticket).order_by("-pk").first()
    fields.setdefault("to", reply_address_get(ticket))
    fields.setdefault("subject", f"Re: {ticket.reference} {ticket.summary}")
    headers = fields.pop("headers", {})
    if sent is not None:
        headers.setdefault("In-Reply-To", sent.message_id)
        headers.setdefault("References", f"{thread_root_id(ticket)} {sent.message_id}")
    return mail(headers=headers, **fields)


# --- Processing as a queue ------------------------------------------------------------------


def test_a_first_mail_becomes_a_request_on_the_mailboxs_desk(cast):
    message = deliver(mail(subject="Re: Parola blocată", body="Am parola blocata.\n-- \nCristina"))
    assert message.state == InboundState.PROCESSED
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    assert ticket.desk == cast.help_desk
    assert ticket.requester == cast.cristina
    assert ticket.submission_method == SubmissionMethod.EMAIL
    assert ticket.summary == "Parola blocată"
    assert ticket.details == "Am parola blocata."
    # The original is the stored row's bytes, not a second copy among the files.
    assert not ticket.attachments.exists()
    assert b"Am parola blocata." in bytes(message.raw)


def test_the_same_message_delivered_twice_creates_one_request(cast):
    raw = mail(message_id="<once@example.com>")
    first = deliver(raw)
    # The same Message-ID through another channel (other bytes: another Received header).
    second = deliver(b"Received: from relay\r\n" + raw, channel=InboundChannel.IMAP)
    assert first.state == InboundState.PROCESSED
    assert second.state == InboundState.IGNORED
    assert second.outcome["duplicate_of"] == first.pk
    assert Ticket.objects.count() == 1


def test_the_worker_queue_processes_each_stored_message_once(cast):
    for number in range(3):
        inbound_store(mail(subject=f"Problem {number}"), channel=InboundChannel.SMTP)
    assert inbound_process_due(timezone.now()) == 3
    assert inbound_process_due(timezone.now()) == 0
    assert Ticket.objects.count() == 3


def test_a_worker_killed_mid_processing_leaves_the_message_to_be_processed_once(cast):
    stored = inbound_store(mail(), channel=InboundChannel.SMTP).message
    from supportal.core.jobs import claim_due

    now = timezone.now()
    claim_due(
        InboundMessage.objects.filter(pk=stored.pk),
        now=now,
        limit=1,
        lease_duration=timezone.timedelta(minutes=10),
    )  # ... and the worker dies here: nothing was committed but the claim
    assert inbound_process_due(now) == 0
    assert inbound_process_due(now + timezone.timedelta(minutes=11)) == 1
    assert InboundMessage.objects.get(pk=stored.pk).state == InboundState.PROCESSED
    assert Ticket.objects.count() == 1


def test_a_failure_is_kept_with_its_error_and_can_be_processed_again(cast, monkeypatch):
    from supportal.mail.inbound import decide

    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(decide, "request_create", broken)
    message = deliver(mail())
    assert message.state == InboundState.FAILED
    assert "parser bug" in message.last_error
    assert Ticket.objects.count() == 0
    monkeypatch.undo()
    out = io.StringIO()
    call_command("process_inbound", "--again", stdout=out)
    assert InboundMessage.objects.get(pk=message.pk).state == InboundState.PROCESSED
    assert "new request HELP-1" in out.getvalue()


def test_a_failure_inside_the_ticket_service_leaves_nothing_half_written(cast, monkeypatch):
    # The services take no savepoint inside the processing (core/wholly.py): what they wrote
    # before the error is rolled back with the whole message, which can be processed again.
    from supportal.tickets.services import comments, create

    def broken(*args, **kwargs):
        raise RuntimeError("index down")

    ticket = cast.ticket()
    events_before = ticket.events.count()
    monkeypatch.setattr(create, "_text_changed", broken)
    monkeypatch.setattr(comments, "_text_changed", broken)
    new = deliver(mail(subject="Imprimanta nu merge"))
    answer = deliver(mail(subject=f"Re: [{ticket.reference}] Hartie", body="Tot nu merge."))

    assert [new.state, answer.state] == [InboundState.FAILED, InboundState.FAILED]
    assert "index down" in new.last_error and "index down" in answer.last_error
    assert Ticket.objects.count() == 1
    assert not ticket.comments.exists() and ticket.events.count() == events_before
    monkeypatch.undo()
    out = io.StringIO()
    call_command("process_inbound", "--again", stdout=out)
    assert {m.state for m in InboundMessage.objects.filter(pk__in=[new.pk, answer.pk])} == {
        InboundState.PROCESSED
    }
    assert ticket.comments.get().body == "Tot nu merge."
    assert Ticket.objects.get(summary="Imprimanta nu merge").number == ticket.number + 1


def test_ingest_email_prints_what_became_of_the_message(cast, monkeypatch):
    import sys

    class Stdin:
        buffer = io.BytesIO(mail(subject="Imprimanta nu merge"))

    monkeypatch.setattr(sys, "stdin", Stdin)
    out = io.StringIO()
    call_command("ingest_email", stdout=out)
    assert "new request HELP-1" in out.getvalue()


# --- Threading ------------------------------------------------------------------------------


def test_a_reply_through_the_reply_address_is_a_comment_even_with_a_new_subject(cast):
    ticket = cast.ticket()
    message = deliver(
        mail(to=reply_address_get(ticket), subject="something else", body="Merge acum")
    )
    assert message.outcome["result"] == "commented"
    assert message.outcome["reference"] == ticket.reference
    assert ticket.comments.filter(is_public=True).get().body == "Merge acum"


def test_in_reply_to_our_message_id_threads_the_reply(cast):
    ticket = cast.ticket()
    sent = OutboundEmail.objects.create(
        to=[cast.cristina.email],
        subject="x",
        body_text="x",
        message_id="<our-1@localhost>",
        ticket=ticket,
        next_attempt_at=timezone.now(),
    )
    message = deliver(mail(subject="Re: x", headers={"In-Reply-To": sent.message_id}))
    assert message.outcome["result"] == "commented"
    assert message.outcome["reference"] == ticket.reference


def test_the_thread_root_in_references_threads_the_reply(cast):
    ticket = cast.ticket()
    message = deliver(mail(subject="hello", headers={"References": thread_root_id(ticket)}))
    assert message.outcome["reference"] == ticket.reference
    assert message.outcome["result"] == "commented"


@pytest.mark.parametrize("subject", ["Re: [HELP-1] Parola", "HELP-1 again", "about help-1"])
def test_the_reference_in_the_subject_threads_mail_from_the_requester(cast, subject):
    ticket = cast.ticket()
    message = deliver(mail(subject=subject))
    assert message.outcome["result"] == "commented"
    assert message.outcome["reference"] == ticket.reference


def test_a_colleague_who_may_see_the_request_comments_by_subject(cast):
    cast.cristina_srl.shares_requests = True
    cast.cristina_srl.save()
    ticket = cast.ticket()
    message = deliver(mail(sender=cast.cristina_admin.email, subject=f"Re: {ticket.reference}"))
    assert message.outcome["result"] == "commented"


@pytest.mark.parametrize("who", ["other_customer", "stranger"])
def test_a_stranger_quoting_a_reference_is_quarantined_not_let_in(cast, who):
    ticket = cast.ticket()
    sender = cast.other_customer.email if who == "other_customer" else "spam@evil.test"
    message = deliver(mail(sender=sender, subject=f"Re: [{ticket.reference}] give me"))
    assert message.state == InboundState.QUARANTINED
    assert message.outcome["reference"] == ticket.reference
    assert ticket.comments.count() == 0
    assert not User.objects.filter(email="spam@evil.test").exists()


def test_a_stranger_using_a_reply_address_is_quarantined(cast):
    ticket = cast.ticket()
    message = deliver(mail(sender=cast.other_customer.email, to=reply_address_get(ticket)))
    assert message.state == InboundState.QUARANTINED
    assert ticket.comments.count() == 0


def test_an_agent_decides_a_quarantined_mail_attach_as_note_or_new_request(cast):
    ticket = cast.ticket()
    message = deliver(mail(sender="new@person.test", subject=f"Re: {ticket.reference}"))
    attached = inbound_process_one(message.pk, decision="attach")
    assert attached.outcome["result"] == "noted"
    note = ticket.comments.get(author__email="new@person.test")
    assert not note.is_public
    other = deliver(mail(sender="new@person.test", subject=f"Re: {ticket.reference} again"))
    made = inbound_process_one(other.pk, decision="new")
    assert made.outcome["result"] == "created"
    assert made.outcome["reference"] != ticket.reference


def test_an_unknown_reference_in_the_subject_makes_a_new_request(cast):
    message = deliver(mail(subject="Re: HELP-999 still broken"))
    assert message.outcome["result"] == "created"


# --- Senders and people in copy -------------------------------------------------------------


def test_an_unknown_sender_of_a_mapped_domain_joins_the_company_and_is_invited(cast):
    OrganizationDomain.objects.create(organization=cast.cristina_srl, domain="cristina.ro")
    message = deliver(mail(sender="Maria Pop <maria@cristina.ro>"))
    user = User.objects.get(email="maria@cristina.ro")
    assert user.organization == cast.cristina_srl
    assert (user.first_name, user.last_name) == ("Maria", "Pop")
    assert OutboundEmail.objects.filter(template="invitation", to=[user.email]).exists()
    assert message.outcome["result"] == "created"


def test_an_unknown_sender_of_another_domain_is_registered_and_invited(cast):
    deliver(mail(sender="someone@gmail.test"))
    user = User.objects.get(email="someone@gmail.test")
    assert user.organization is None
    assert OutboundEmail.objects.filter(template="invitation", to=[user.email]).exists()


def test_a_desk_that_does_not_invite_registers_an_unknown_sender_without_a_mail(cast):
    Desk.objects.filter(pk=cast.help_desk.pk).update(invite_all_senders=False)
    deliver(mail(sender="someone@gmail.test"))
    user = User.objects.get(email="someone@gmail.test")
    assert user.organization is None
    assert not user.has_usable_password()
    assert not OutboundEmail.objects.filter(template="invitation").exists()


def test_colleagues_in_copy_become_participants_and_others_are_recorded_for_agents(cast):
    raw = mail(
        headers={"Cc": f"{cast.colleague.email}, boss@elsewhere.test, {cast.agent_help.email}"}
    )
    message = deliver(raw)
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    assert list(Participant.objects.filter(ticket=ticket).values_list("user", flat=True)) == [
        cast.colleague.pk
    ]
    assert not ticket.comments.exists()  # kept with the mail, not as a note of its own
    assert message.outcome["copied"] == ["boss@elsewhere.test"]


# --- Content --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Merge, mulțumesc!\n\nÎn data de luni, 3 iunie 2024, Bogdan a scris:\n> Încercați",
            "Merge, mulțumesc!",
        ),
        ("Funguje, díky.\n\nDne 3. 6. 2024 v 10:00 Bogdan napsal(a):\n> Zkuste", "Funguje, díky."),
        ("Works now.\n\nOn Mon, 3 Jun 2024, Bogdan <b@x.test> wrote:\n> Try", "Works now."),
        ("Thanks\n\nSent from my iPhone", "Thanks"),
    ],
)
def test_replies_lose_their_quoted_history_and_signature(cast, body, expected):
    ticket = cast.ticket()
    deliver(mail(subject=f"Re: {ticket.reference}", body=body))
    assert ticket.comments.get(is_public=True).body == expected


def test_html_only_mail_becomes_safe_text(cast):
    message = EmailMessage()
    message["From"] = cast.cristina.email
    message["To"] = "support@localhost"
    message["Subject"] = "HTML"
    message.set_content(
        "<html><head><style>p{}</style><script>alert(1)</script></head>"
        "<body><p>Bună <b>ziua</b> &amp; salut</p><p>A doua</p></body></html>",
        subtype="html",
    )
    result = deliver(message.as_bytes())
    ticket = Ticket.objects.get(reference=result.outcome["reference"])
    assert ticket.details == "Bună ziua & salut\n\nA doua"


def test_attachments_are_kept_and_an_over_limit_one_is_dropped_with_a_note(cast):
    cast.help_desk.attachment_max_bytes = 1000
    cast.help_desk.save()
    raw = mail(
        attachments=[
            ("factura.pdf", b"%PDF-1.4 small", "application/pdf"),
            ("huge.bin", b"x" * 5000, "application/octet-stream"),
            ("empty.txt", b"", "text/plain"),
        ]
    )
    message = deliver(raw)
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    names = set(ticket.attachments.values_list("file_name", flat=True))
    assert names == {"factura.pdf"}
    notes = " ".join(message.outcome["notes"])
    assert "huge.bin" in notes and "empty.txt" in notes


def test_unknown_charsets_and_raw_8bit_headers_are_decoded_with_fallbacks(cast):
    raw = (
        b"From: =?x-unknown?q?Ana?= <cristina.tanasescu@example.com>\r\n"
        b"To: support@localhost\r\n"
        b"Subject: Factur\xe3 \xbai pl\xe3\xfeii\r\n"
        b"Content-Type: text/plain; charset=x-mac-nonsense\r\n"
        b"\r\n"
        b"Am pl\xe3tit factura\x00\r\n"
    )
    message = deliver(raw)
    assert message.state == InboundState.PROCESSED
    ticket = Ticket.objects.get(reference=message.outcome["reference"])
    assert "\x00" not in ticket.details
    assert ticket.details.startswith("Am pl")


# --- Loops and noise ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_auto_replies_never_become_requests(cast, headers):
    message = deliver(mail(headers=headers))
    assert message.state == InboundState.IGNORED
    assert Ticket.objects.count() == 0
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    "subject", ["Out of Office: Parola", "Răspuns automat: Parola", "Automatická odpověď: Heslo"]
)
def test_out_of_office_subjects_in_three_languages_are_ignored(cast, subject):
    assert deliver(mail(subject=subject)).state == InboundState.IGNORED


def test_our_own_mail_coming_back_is_ignored(cast):
    ticket = cast.ticket()
    message = deliver(
        mail(sender="support@localhost", headers={"X-Supportal-Ticket": ticket.reference})
    )
    assert message.state == InboundState.IGNORED
    assert message.outcome["kind"] == "own"


@pytest.mark.parametrize("sender", ["support@localhost", "SUPPORT+abc@localhost"])
def test_mail_from_our_own_mailbox_is_ignored_to_break_loops(cast, sender):
    message = deliver(mail(sender=sender))
    assert message.state == InboundState.IGNORED
    assert Ticket.objects.count() == 0
    assert not OutboundEmail.objects.exists()


def test_a_hard_bounce_holds_the_address_and_is_noted_on_its_request(cast):
    ticket = cast.ticket()
    sent = OutboundEmail.objects.create(
        to=["gone@example.com"],
        subject="x",
        body_text="x",
        message_id="<sent-1@localhost>",
        ticket=ticket,
        next_attempt_at=timezone.now(),
    )
    raw = (
        b"From: MAILER-DAEMON@mx.example.com\r\n"
        b"To: support@localhost\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: " + sent.message_id.encode() + b"\r\nSubject: x\r\n"
        b"--B--\r\n"
    )
    message = deliver(raw)
    assert message.state == InboundState.IGNORED
    assert message.outcome["kind"] == "bounce"
    assert SuppressedAddress.objects.filter(email="gone@example.com").exists()
    assert "gone@example.com" in ticket.comments.get(is_public=False).body
    assert Ticket.objects.count() == 1


def test_a_read_receipt_is_ignored(cast):
    raw = (
        b"From: cristina.tanasescu@example.com\r\nTo: support@localhost\r\n"
        b"Subject: Read: HELP-1\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"\r\n'
        b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nRead.\r\n"
        b"--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--B--\r\n"
    )
    assert deliver(raw).state == InboundState.IGNORED


def test_a_runaway_sender_is_stopped_by_the_rate_limit(cast):
    for number in range(NEW_REQUESTS_PER_SENDER_PER_HOUR):
        assert deliver(mail(subject=f"Loop {number}")).outcome["result"] == "created"
    message = deliver(mail(subject="Loop again"))
    assert message.state == InboundState.QUARANTINED
    assert Ticket.objects.count() == NEW_REQUESTS_PER_SENDER_PER_HOUR


def test_mail_to_a_closed_request_is_an_internal_note_and_one_reply(cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.CANCEL, comment="duplicate"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    first = deliver(reply_to_notification(ticket, body="Still broken"))
    second = deliver(reply_to_notification(ticket, body="Hello??"))
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert first.outcome["result"] == "noted" and first.outcome["replied"] is True
    assert second.outcome["replied"] is False
    notes = Comment.objects.filter(ticket=ticket, author=cast.cristina, is_public=False)
    assert sorted(notes.values_list("body", flat=True)) == ["Hello??", "Still broken"]
    replies = OutboundEmail.objects.filter(template="inbound_closed")
    assert replies.count() == 1
    assert replies.get().headers["Auto-Submitted"] == "auto-replied"


def test_administrators_decide_quarantined_mail_in_the_admin(cast, client):
    ticket = cast.ticket()
    message = deliver(mail(sender="new@person.test", subject=f"Re: {ticket.reference}"))
    assert message.state == InboundState.QUARANTINED
    client.force_login(cast.admin)
    url = "/admin/mail/inboundmessage/"
    listing = client.get(url)
    assert listing.status_code == 200
    assert b"quarantined" in listing.content
    response = client.post(
        url, {"action": "make_new_request", "_selected_action": [message.pk]}, follow=True
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.outcome["result"] == "created"


def test_a_file_over_the_limit_is_answered_to_its_sender_in_their_language(cast):
    """docs/languages.md#customers-who-only-use-e-mail: the sender learns, in Czech, which file
    was not kept and where large files go (typed by the administrator in Czech)."""
    desk = Desk.objects.get(pk=cast.help_desk.pk)
    desk.attachment_max_bytes = 1000
    desk.large_files_hint_en = "For large files, please use ftp.example.com."
    desk.large_files_hint_cs = "Velké soubory prosím pošlete přes ftp.example.com."
    desk.save()
    cast.cristina.language = "cs"
    cast.cristina.save()
    message = deliver(
        mail(
            attachments=[
                ("faktura.pdf", b"%PDF-1.4 small", "application/pdf"),
                ("video.mp4", b"x" * 5000, "video/mp4"),
            ]
        )
    )
    assert message.outcome["result"] == "created"
    answer = OutboundEmail.objects.get(template="inbound_too_large")
    assert answer.to == [cast.cristina.email] and answer.language == "cs"
    assert "video.mp4" in answer.body_text and "faktura.pdf" not in answer.body_text
    assert "Velké soubory prosím pošlete přes ftp.example.com." in answer.body_text
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    # Nothing over the limit: no answer.
    deliver(mail(attachments=[("mic.pdf", b"%PDF small", "application/pdf")]))
    assert OutboundEmail.objects.filter(template="inbound_too_large").count() == 1
