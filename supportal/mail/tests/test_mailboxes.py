"""Mailboxes administrators manage in the web: the password stored encrypted and never shown,
the worker fetching from a real Dovecot, each mailbox's last success or error recorded, and the
keys rotated without losing a password."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from email.message import EmailMessage

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from supportal.audit.models import AuditEntry
from supportal.core.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from supportal.mail.mailboxes import mail_fetch_all, mailbox_save
from supportal.mail.models import (
    InboundChannel,
    InboundMessage,
    Mailbox,
    MailboxSecurity,
    OutboundEmail,
)
from supportal.mail.tests.conftest import DOVECOT, DOVECOT_MISSING

pytestmark = pytest.mark.django_db


def _mail(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    message.set_content("Imprimanta nu tipărește facturile.")
    return message.as_bytes()


DOVECOT_PASSWORD = "secret"


def _mailbox(port: int, *, password: str = DOVECOT_PASSWORD, desk=None, **fields) -> Mailbox:
    fields.setdefault("name", "Suport")
    mailbox = Mailbox(
        host="127.0.0.1",
        port=port,
        security=MailboxSecurity.NONE,
        username="alice",
        desk=desk,
        **fields,
    )
    return mailbox_save(mailbox=mailbox, password=password)


def test_a_stored_password_is_encrypted_and_rotates_to_a_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SUPPORTAL_SECRET_KEYS=[old]):
        mailbox = _mailbox(993, password="parola-casutei")
        assert "parola-casutei" not in mailbox.password_encrypted
        assert secret_decrypt(mailbox.password_encrypted) == "parola-casutei"
        mailbox_save(mailbox=mailbox, client_secret="secretul-aplicatiei")
    with override_settings(SUPPORTAL_SECRET_KEYS=[new, old]):
        out = io.StringIO()
        call_command("secrets_rotate", stdout=out)
        assert "1 mailbox password(s)" in out.getvalue()
        assert "1 OAuth2 secret(s)" in out.getvalue()
    mailbox.refresh_from_db()
    with override_settings(SUPPORTAL_SECRET_KEYS=[new]):  # the old key is gone
        assert secret_decrypt(mailbox.password_encrypted) == "parola-casutei"
        assert secret_decrypt(mailbox.oauth_client_secret_encrypted) == "secretul-aplicatiei"
    with override_settings(SUPPORTAL_SECRET_KEYS=[old]), pytest.raises(SecretUnreadable):
        secret_decrypt(mailbox.password_encrypted)


def test_without_configured_keys_the_secret_key_derives_one():
    stored = secret_encrypt("parola")
    assert stored != "parola" and secret_decrypt(stored) == "parola"
    other_installation = override_settings(SECRET_KEY="another-secret-key-of-another-one")
    with other_installation, pytest.raises(SecretUnreadable):
        secret_decrypt(stored)


def test_administrators_add_a_mailbox_whose_password_is_never_shown_again(client, cast):
    client.force_login(cast.admin)
    add = reverse("admin:mail_mailbox_add")
    form = {
        "name": "Suport HELP",
        "host": "imap.firma.ro",
        "port": "993",
        "security": "ssl",
        "username": "suport@firma.ro",
        "auth": "password",
        "folder": "INBOX",
        "move_to": "",
        "desk": str(cast.help_desk.pk),
        "poll_minutes": "2",
        "is_active": "on",
    }
    refused = client.post(add, form)
    assert refused.status_code == 200 and "Enter the mailbox" in refused.content.decode()
    assert 'value="Suport HELP"' in refused.content.decode()  # what was typed is kept
    response = client.post(add, {**form, "password": "Parola-Secreta-42"})
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert "Parola-Secreta-42" not in mailbox.password_encrypted
    created = AuditEntry.objects.filter(object_type="mail.mailbox").get()
    assert created.actor == cast.admin and "Parola-Secreta-42" not in json.dumps(created.after)
    change = reverse("admin:mail_mailbox_change", args=[mailbox.pk])
    page = client.get(change).content.decode()
    assert "Parola-Secreta-42" not in page and mailbox.password_encrypted not in page
    # Saving without a new password keeps the stored one.
    client.post(change, {**form, "name": "Suport", "password": ""})
    mailbox.refresh_from_db()
    assert mailbox.name == "Suport"
    assert secret_decrypt(mailbox.password_encrypted) == "Parola-Secreta-42"


def test_agents_cannot_open_the_mailboxes(client, cast):
    client.force_login(cast.agent_help)
    response = client.get(reverse("admin:mail_mailbox_changelist"))
    assert response.status_code in {302, 403}


@pytest.mark.skipif(not DOVECOT.exists(), reason=DOVECOT_MISSING)
def test_the_worker_fetches_a_stored_mailbox_and_records_its_success(cast, dovecot):
    dovecot["deliver"](_mail("Imprimanta nu merge"))
    mailbox = _mailbox(dovecot["port"], desk=cast.help_desk)
    now = timezone.now()
    assert mail_fetch_all(now) == 1
    message = InboundMessage.objects.get()
    assert (message.channel, message.mailbox) == (InboundChannel.IMAP, "HELP")
    mailbox.refresh_from_db()
    assert mailbox.last_success_at == now and mailbox.last_error == ""
    # Within its interval it is not checked again; after it, it is (and finds nothing new).
    dovecot["deliver"](_mail("Încă o problemă"))
    assert mail_fetch_all(now + dt.timedelta(seconds=30)) == 0
    assert mail_fetch_all(now + dt.timedelta(minutes=1)) == 1
    assert InboundMessage.objects.count() == 2


@pytest.mark.skipif(not DOVECOT.exists(), reason=DOVECOT_MISSING)
def test_a_failing_mailbox_records_its_error_and_does_not_stop_the_others(client, cast, dovecot):
    dovecot["deliver"](_mail("Imprimanta nu merge"))
    wrong = _mailbox(dovecot["port"], password="not-the-password", name="Greșit")
    right = _mailbox(dovecot["port"], desk=cast.help_desk, name="Bun")
    assert mail_fetch_all(timezone.now()) == 1
    wrong.refresh_from_db()
    right.refresh_from_db()
    assert "not-the-password" not in wrong.last_error
    assert wrong.last_error and wrong.last_error_at and wrong.last_success_at is None
    assert right.last_success_at is not None and right.last_error == ""
    # The administrators are told once, when it starts failing, not at every check.
    told = OutboundEmail.objects.filter(template="mailbox_failing")
    assert [m.to for m in told] == [[cast.admin.email]]
    assert "Greșit" in told.get().subject and "not-the-password" not in told.get().body_text
    mail_fetch_all(timezone.now() + dt.timedelta(minutes=5))
    assert told.count() == 1
    client.force_login(cast.admin)
    page = client.get(reverse("admin:mail_mailbox_changelist")).content.decode()
    assert "Failing:" in page and "Working" in page
