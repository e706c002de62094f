"""Inbound mail, step one: the bytes are stored before anything parses them, once."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from supportal.mail.inbound import inbound_store, message_id_peek, served_address
from supportal.mail.management.commands.run_smtp import smtp_controller
from supportal.mail.models import InboundChannel, InboundMessage, InboundState

ROOT = Path(__file__).resolve().parents[3]
MESSAGE = (
    b"From: Cristina <cristina.tanasescu@example.com>\r\n"
    b"To: support@localhost\r\n"
    b"Subject: =?utf-8?q?Parol=C4=83_blocat=C4=83?=\r\n"
    b"Message-ID: <abc.123@example.com>\r\n"
    b"\r\n"
    b"Am parola blocata, rog deblocare\r\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_same_bytes_are_stored_once(db):
    first = inbound_store(MESSAGE, channel=InboundChannel.STDIN)
    again = inbound_store(MESSAGE, channel=InboundChannel.STDIN)
    assert first.is_new and not again.is_new
    assert again.message.pk == first.message.pk
    assert bytes(first.message.raw) == MESSAGE
    assert first.message.message_id == "<abc.123@example.com>"
    assert first.message.state == InboundState.RECEIVED


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage with no headers",
        b"Subject: " + b"x" * 200_000 + b"\r\n\r\nbody",
        b"Content-Type: text/plain; charset=unknown-8bit\r\n\r\n\xe9\xe8",
        b"Message-ID: <no-end\r\n\r\n",
    ],
)
def test_broken_messages_are_stored_all_the_same(db, raw):
    stored = inbound_store(raw, channel=InboundChannel.STDIN)
    assert bytes(InboundMessage.objects.get(pk=stored.message.pk).raw) == raw


def test_nul_bytes_in_the_id_or_the_smtp_envelope_do_not_stop_the_storing(db):
    # PostgreSQL's text refuses NUL: a hostile id is no id; the envelope is kept without NULs.
    raw = b"From: a@example.com\r\nMessage-ID: <a\x00b@example.com>\r\n\r\nbody\x00\r\n"
    stored = inbound_store(
        raw,
        channel=InboundChannel.SMTP,
        envelope_from="a\x00@example.com",
        recipients=["support\x00@localhost"],
        helo="mx\x00.example.com",
    )
    message = InboundMessage.objects.get(pk=stored.message.pk)
    assert bytes(message.raw) == raw
    assert message.message_id == ""
    assert message.envelope_from == "a@example.com"
    assert message.recipients == ["support@localhost"]
    assert message.helo == "mx.example.com"


def test_message_id_is_read_from_the_header_block_only():
    body_only = b"Subject: x\r\n\r\nMessage-ID: <in-the-body@example.com>\r\n"
    assert message_id_peek(body_only) == ""
    assert message_id_peek(b"message-id:  <Lower@Case>\n\nbody") == "<Lower@Case>"


def test_desk_mailboxes_and_their_plus_addresses_are_served(cast):
    assert served_address("support@localhost") == cast.help_desk
    assert served_address("<SUPPORT+tok3n@LOCALHOST>") == cast.help_desk
    assert served_address("sales@localhost") is None
    assert served_address("support@elsewhere.example") is None


@pytest.mark.django_db(transaction=True)
def test_smtp_listener_stores_mail_for_served_addresses_and_refuses_others(cast):
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            refused = client.sendmail(
                "cristina.tanasescu@example.com",
                ["support+abc@localhost", "nobody@localhost"],
                MESSAGE,
            )
        assert list(refused) == ["nobody@localhost"]
        with pytest.raises(smtplib.SMTPRecipientsRefused), smtplib.SMTP("127.0.0.1", port) as c:
            c.sendmail("x@example.com", ["nobody@localhost"], MESSAGE)
    finally:
        controller.stop()
    message = InboundMessage.objects.get()
    assert message.channel == InboundChannel.SMTP
    assert message.recipients == ["support+abc@localhost"]
    assert message.envelope_from == "cristina.tanasescu@example.com"
    assert b"Am parola blocata" in bytes(message.raw)


@pytest.mark.django_db(transaction=True)
def test_ingest_email_stores_standard_input_and_exits_zero(tmp_path, settings):
    db_name = settings.DATABASES["default"]["NAME"]
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        env_db = f"sqlite:///{db_name}"  # the test database is an absolute path
    else:
        default = settings.DATABASES["default"]
        env_db = (
            f"postgres://{default['USER']}:{default['PASSWORD']}@{default['HOST']}:"
            f"{default['PORT'] or 5432}/{db_name}"
        )
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email", "--desk", "help"],
        input=MESSAGE,
        cwd=ROOT,
        env={"SECRET_KEY": "k", "DATABASE_URL": env_db, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"stored as #" in result.stdout
    assert InboundMessage.objects.get().mailbox == "HELP"


@pytest.mark.slow  # a subprocess
def test_ingest_email_exits_75_when_it_cannot_store(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email"],
        input=MESSAGE,
        cwd=ROOT,
        env={
            "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/none.sqlite3",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 75
    assert b"should retry" in result.stderr


def test_a_database_outage_answers_one_temporary_line_without_detail(db, monkeypatch):
    """docs/security.md, Infrastructure: not "500" with the driver's text, which makes servers
    bounce."""
    from django.db import OperationalError

    from supportal.mail.management.commands import run_smtp

    def outage(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password=s3cret')

    monkeypatch.setattr(run_smtp, "served_address", outage)
    monkeypatch.setattr(run_smtp, "inbound_store", outage)
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
            client.mail("x@example.com")
            code, text = client.rcpt("support@localhost")
    finally:
        controller.stop()
    assert code == 451
    assert text == b"4.3.0 Temporary failure, please try again later"
    assert InboundMessage.objects.count() == 0


def test_a_failure_to_store_after_data_is_the_same_temporary_line(db, monkeypatch):
    from django.db import OperationalError

    from supportal.mail.management.commands import run_smtp

    def outage(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(run_smtp, "served_address", lambda address: True)
    monkeypatch.setattr(run_smtp, "inbound_store", outage)
    port = _free_port()
    controller = smtp_controller("127.0.0.1", port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
            client.mail("x@example.com")
            client.rcpt("support@localhost")
            code, text = client.data(MESSAGE)
    finally:
        controller.stop()
    assert (code, text) == (451, b"4.3.0 Temporary failure, please try again later")
