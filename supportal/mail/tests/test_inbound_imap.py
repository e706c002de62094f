"""IMAP polling against a real Dovecot: a private server with its own config on a free port."""

from __future__ import annotations

import io
import uuid
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from supportal.mail.imap import mailbox_parse
from supportal.mail.models import InboundChannel, InboundMessage, InboundState
from supportal.mail.tests.conftest import DOVECOT, DOVECOT_MISSING

pytestmark = pytest.mark.skipif(not DOVECOT.exists(), reason=DOVECOT_MISSING)


def _mail(subject: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    for name, value in headers.items():
        message[name] = value
    message.set_content("Am parola blocata")
    return message.as_bytes()


def test_mailbox_urls_name_the_desk_and_never_hold_the_password():
    mailbox = mailbox_parse("imaps://support%40firm.ro@mail.firm.ro/Support?desk=help")
    assert (mailbox.user, mailbox.host, mailbox.port) == ("support@firm.ro", "mail.firm.ro", 993)
    assert (mailbox.folder, mailbox.desk, mailbox.tls) == ("Support", "HELP", "ssl")
    assert mailbox.password_env == "SUPPORTAL_IMAP_PASSWORD"
    assert "secret" not in str(mailbox)


def test_fetch_mail_stores_processes_and_marks_seen_only_once(cast, dovecot, monkeypatch):
    monkeypatch.setenv("SUPPORTAL_IMAP_PASSWORD", "secret")
    dovecot["deliver"](_mail("Imprimanta nu merge"))
    dovecot["deliver"](_mail("Out of office", **{"Auto-Submitted": "auto-replied"}))
    url = f"imap://alice@127.0.0.1:{dovecot['port']}/INBOX?desk=help&tls=none"
    out = io.StringIO()
    call_command("fetch_mail", "--url", url, stdout=out)
    assert "2 message(s) stored" in out.getvalue()
    assert "new request HELP-1" in out.getvalue()
    messages = InboundMessage.objects.order_by("pk")
    assert [m.channel for m in messages] == [InboundChannel.IMAP] * 2
    assert {m.state for m in messages} == {InboundState.PROCESSED, InboundState.IGNORED}
    assert all(m.mailbox == "HELP" for m in messages)
    # Marked seen on the server once stored: a second poll fetches nothing.
    again = io.StringIO()
    call_command("fetch_mail", "--url", url, stdout=again)
    assert "0 message(s) stored" in again.getvalue()
    assert InboundMessage.objects.count() == 2
    seen = list((dovecot["maildir"] / "cur").iterdir())
    assert len(seen) == 2 and all(path.name.endswith("S") for path in seen)
