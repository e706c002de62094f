from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from supportal.core.jobs import claim_due, retry_delay
from supportal.core.tests.threads import at_once
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.mail.outbox import MAX_ATTEMPTS, email_queue, outbox_send_due

LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def queue_plain(to: str = "ana@example.com", **kwargs: Any) -> OutboundEmail:
    return email_queue(
        to=to,
        template="plain",
        context={"subject": "Your request", "body": "Hello"},
        language="en",
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """An aiosmtpd handler that keeps what it accepts, or answers ``reply`` to every DATA."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.reply: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings) -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="localhost"
    )
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def locmem(settings) -> None:
    settings.EMAIL_BACKEND = LOCMEM_BACKEND


@pytest.mark.django_db
def test_queued_message_is_rendered_in_its_language_with_our_message_id(settings):
    settings.SUPPORTAL_MAIL_DOMAIN = "help.example.com"
    queued = email_queue(
        to=["ana@example.com"],
        template="plain",
        context={"subject": "R&D\nquestion  ", "body": "Tom & Jerry <3"},
        language="ro",
    )
    assert queued.state == OutboundState.PENDING
    assert queued.next_attempt_at <= timezone.now()
    assert queued.message_id.startswith("<")
    assert queued.message_id.endswith("@help.example.com>")
    assert queued.subject == "R&D question"
    assert queued.body_text.strip() == "Tom & Jerry <3"
    assert "Tom &amp; Jerry &lt;3" in queued.body_html
    assert 'lang="ro"' in queued.body_html


@pytest.mark.django_db
def test_a_reply_carries_in_reply_to_and_references_ending_with_its_parent():
    queued = queue_plain(in_reply_to="<parent@x>", references=["<root@x>"])
    assert queued.headers["In-Reply-To"] == "<parent@x>"
    assert queued.headers["References"] == "<root@x> <parent@x>"


@pytest.mark.django_db
def test_a_header_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="one line"):
        queue_plain(headers={"X-Bad": "a\r\nBcc: victim@example.com"})


@pytest.mark.django_db(transaction=True)
def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(locmem):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_plain()
        raise RuntimeError("the action failed")
    assert outbox_send_due(timezone.now()) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_due_message_is_sent_once_with_its_message_id_and_both_parts(locmem):
    queued = queue_plain(reply_to="reply+token@example.com")
    assert outbox_send_due(timezone.now()) == 1
    assert outbox_send_due(timezone.now()) == 0
    queued.refresh_from_db()
    assert queued.state == OutboundState.SENT
    assert queued.sent_at is not None
    assert queued.attempts == 1
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"] == queued.message_id
    assert sent.reply_to == ["reply+token@example.com"]
    assert sent.alternatives[0][1] == "text/html"


@pytest.mark.django_db
def test_rows_not_yet_due_are_not_sent(locmem):
    now = timezone.now()
    queued = queue_plain()
    OutboundEmail.objects.filter(pk=queued.pk).update(next_attempt_at=now + timedelta(hours=1))
    assert outbox_send_due(now) == 0
    assert outbox_send_due(now + timedelta(hours=1)) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_claim_takes_only_pending_due_rows_oldest_first_up_to_the_limit():
    now = timezone.now()
    rows = [queue_plain() for _ in range(4)]
    for minutes, row in zip([3, 1, 2, 4], rows, strict=True):
        row.next_attempt_at = now - timedelta(minutes=minutes)
        row.save(update_fields=["next_attempt_at"])
    OutboundEmail.objects.filter(pk=rows[3].pk).update(state=OutboundState.SENT)
    pending = OutboundEmail.objects.filter(state=OutboundState.PENDING)

    claimed = claim_due(pending, now=now, limit=2, lease_duration=timedelta(minutes=5))

    assert {row.pk for row in claimed} == {rows[0].pk, rows[2].pk}
    assert len({row.claim_token for row in claimed}) == 1
    assert all(row.attempts == 1 for row in claimed)
    assert all(row.next_attempt_at == now + timedelta(minutes=5) for row in claimed)
    [rest] = claim_due(pending, now=now, limit=10, lease_duration=timedelta(minutes=5))
    assert rest.pk == rows[1].pk


@pytest.mark.django_db
def test_a_crashed_claim_is_claimed_again_after_the_lease(locmem):
    queued = queue_plain()
    now = timezone.now()
    pending = OutboundEmail.objects.filter(state=OutboundState.PENDING)
    # A worker claims the row and dies before sending it.
    claim_due(pending, now=now, limit=10, lease_duration=timedelta(minutes=5))

    assert outbox_send_due(now + timedelta(minutes=4)) == 0
    assert outbox_send_due(now + timedelta(minutes=5)) == 1
    queued.refresh_from_db()
    assert queued.state == OutboundState.SENT
    assert queued.attempts == 2
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_over_the_same_due_rows_handle_each_row_once(settings) -> None:
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    with transaction.atomic():
        queued_ids = {queue_plain(to=f"customer{i}@example.com").message_id for i in range(200)}
    now = timezone.now()
    workers = 4
    handled_by_worker: list[int] = []

    def work() -> None:
        handled = 0
        while count := outbox_send_due(now):
            handled += count
        handled_by_worker.append(handled)

    assert at_once(workers, work, timeout=60) == []
    assert sum(handled_by_worker) == 200
    assert OutboundEmail.objects.filter(state=OutboundState.SENT).count() == 200
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}
    assert len(mail.outbox) == 200
    assert {message.extra_headers["Message-ID"] for message in mail.outbox} == queued_ids


@pytest.mark.django_db
def test_a_real_smtp_server_receives_our_message_id_with_text_and_html(smtp_server):
    queued = queue_plain(in_reply_to="<parent@example.com>")
    assert outbox_send_due(timezone.now()) == 1

    [received] = smtp_server.messages
    assert received["Message-ID"] == queued.message_id
    assert received["In-Reply-To"] == "<parent@example.com>"
    assert received["To"] == "ana@example.com"
    assert received["Subject"] == "Your request"
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Hello"
    assert "<p>Hello</p>" in received.get_body(preferencelist=("html",)).get_content()
    queued.refresh_from_db()
    assert queued.state == OutboundState.SENT


@pytest.mark.django_db
def test_a_failing_send_is_retried_later_with_back_off_and_gives_up_after_the_limit(
    smtp_server,
):
    smtp_server.reply = "451 4.3.0 Try again later"
    queued = queue_plain()
    now = timezone.now()
    for attempt in range(1, MAX_ATTEMPTS):
        assert outbox_send_due(now) == 1
        queued.refresh_from_db()
        assert queued.state == OutboundState.PENDING
        assert queued.attempts == attempt
        assert queued.next_attempt_at == now + retry_delay(attempt)
        assert "451" in queued.last_error
        # Not before its time.
        assert outbox_send_due(queued.next_attempt_at - timedelta(seconds=1)) == 0
        now = queued.next_attempt_at

    assert outbox_send_due(now) == 1
    queued.refresh_from_db()
    assert queued.state == OutboundState.FAILED
    assert queued.attempts == MAX_ATTEMPTS
    assert outbox_send_due(now + timedelta(days=1)) == 0
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_message_refused_for_good_is_not_retried(smtp_server):
    smtp_server.reply = "550 5.7.1 Message rejected"
    queued = queue_plain()
    assert outbox_send_due(timezone.now()) == 1
    queued.refresh_from_db()
    assert queued.state == OutboundState.FAILED
    assert queued.attempts == 1
    assert "550" in queued.last_error


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_the_message_to_be_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    queued = queue_plain()
    now = timezone.now()
    assert outbox_send_due(now) == 1
    queued.refresh_from_db()
    assert queued.state == OutboundState.PENDING
    assert queued.next_attempt_at == now + retry_delay(1)
    assert queued.last_error


@pytest.mark.django_db
def test_send_test_email_queues_a_plain_message_and_sends_it_with_now(locmem):
    call_command("send_test_email", "ops@example.com", "--now")
    [queued] = OutboundEmail.objects.all()
    assert queued.template == "plain"
    assert queued.state == OutboundState.SENT
    [sent] = mail.outbox
    assert sent.to == ["ops@example.com"]
    assert sent.subject == "Supportal test message"


def test_the_outbox_is_a_registered_worker_queue():
    from supportal.core import jobs

    assert jobs.registry.queues["mail.outbox"].handler is outbox_send_due


def _stored(name: str, content: bytes) -> dict[str, str]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    path = default_storage.save(f"outbox-tests/{name}", ContentFile(content))
    return {"path": path, "name": name, "content_type": "application/pdf"}


@pytest.mark.django_db
def test_a_stored_attachment_reaches_a_real_smtp_server(smtp_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    queue_plain(attachments=[_stored("lege.pdf", b"%PDF-1.4 x")])
    assert outbox_send_due(timezone.now()) == 1
    [received] = smtp_server.messages
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "lege.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 x"


@pytest.mark.django_db
def test_a_message_without_attachments_stores_an_empty_list():
    assert queue_plain().attachments == []


@pytest.mark.django_db
def test_an_attachment_without_a_path_is_refused():
    with pytest.raises(ValueError, match="path"):
        queue_plain(attachments=[{"name": "x.pdf"}])
