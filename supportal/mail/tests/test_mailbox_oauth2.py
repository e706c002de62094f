"""Mailboxes that sign in with OAuth2 (XOAUTH2): the administrator's "Connect" through a real
authorization-code exchange with PKCE against a local provider, the worker refreshing the
token, and Dovecot checking each bearer token with the provider's introspection endpoint — the
whole SASL exchange real."""

from __future__ import annotations

import datetime as dt
import uuid
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from supportal.mail.mailboxes import mail_fetch_all, mailbox_save
from supportal.mail.models import InboundMessage, Mailbox, MailboxAuth, MailboxSecurity
from supportal.mail.testing_oauth import CLIENT_ID, CLIENT_SECRET
from supportal.mail.tests.conftest import DOVECOT, DOVECOT_MISSING

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not DOVECOT.exists(), reason=DOVECOT_MISSING),
]


def _mail(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Jana Nováková <jana.novakova@example.cz>"
    message["To"] = "podpora@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.cz>"
    message.set_content("Nejde mi tisknout faktury.")
    return message.as_bytes()


def _oauth_mailbox(server, desk) -> Mailbox:
    provider = server["provider"]
    mailbox = Mailbox(
        name="Podpora (Microsoft 365)",
        host="127.0.0.1",
        port=server["port"],
        security=MailboxSecurity.NONE,
        username="alice",
        auth=MailboxAuth.OAUTH2,
        oauth_authorize_url=provider.url + "/authorize",
        oauth_token_url=provider.url + "/token",
        oauth_scope="IMAP.AccessAsUser.All offline_access",
        oauth_client_id=CLIENT_ID,
        desk=desk,
    )
    return mailbox_save(mailbox=mailbox, client_secret=CLIENT_SECRET)


def _connect(client, mailbox: Mailbox, provider) -> None:
    started = client.get(reverse("admin:mail_mailbox_connect", args=[mailbox.pk]))
    assert started.status_code == 302 and started.url.startswith(provider.url + "/authorize?")
    assert "code_challenge=" in started.url and "login_hint=alice" in started.url
    code = provider.consent(started.url)
    state = dict(part.split("=", 1) for part in started.url.split("?", 1)[1].split("&"))["state"]
    back = client.get(reverse("admin:mail_mailbox_oauth2_callback"), {"code": code, "state": state})
    assert back.status_code == 302


def test_an_administrator_connects_a_mailbox_and_the_worker_fetches_with_xoauth2(
    client, cast, dovecot_oauth2
):
    provider = dovecot_oauth2["provider"]
    mailbox = _oauth_mailbox(dovecot_oauth2, cast.help_desk)
    client.force_login(cast.admin)
    _connect(client, mailbox, provider)
    mailbox.refresh_from_db()
    assert mailbox.oauth_connected_at is not None
    assert provider.state.token_requests == ["authorization_code"]
    stored_tokens = mailbox.oauth_refresh_token_encrypted + mailbox.oauth_access_token_encrypted
    assert not any(token in stored_tokens for token in provider.state.access_tokens)
    page = client.get(reverse("admin:mail_mailbox_change", args=[mailbox.pk])).content.decode()
    assert "Connected" in page and CLIENT_SECRET not in page

    dovecot_oauth2["deliver"](_mail("Nejde mi tisknout faktury"))
    now = timezone.now()
    assert mail_fetch_all(now) == 1
    assert InboundMessage.objects.get().mailbox == "HELP"
    assert provider.state.introspections >= 1  # Dovecot asked the provider about the token
    mailbox.refresh_from_db()
    assert mailbox.last_success_at == now and mailbox.last_error == ""
    # The access token is reused while it lasts, then refreshed (the refresh token rotates).
    assert mail_fetch_all(now + dt.timedelta(minutes=5)) == 0
    assert provider.state.token_requests == ["authorization_code"]
    old_refresh = mailbox.oauth_refresh_token_encrypted
    dovecot_oauth2["deliver"](_mail("Ještě jedna faktura"))
    assert mail_fetch_all(now + dt.timedelta(hours=2)) == 1
    assert provider.state.token_requests == ["authorization_code", "refresh_token"]
    mailbox.refresh_from_db()
    assert mailbox.oauth_refresh_token_encrypted != old_refresh


def test_a_revoked_grant_is_the_mailboxs_error_and_loses_nothing(client, cast, dovecot_oauth2):
    provider = dovecot_oauth2["provider"]
    mailbox = _oauth_mailbox(dovecot_oauth2, cast.help_desk)
    client.force_login(cast.admin)
    _connect(client, mailbox, provider)
    provider.revoke_refresh_tokens()
    dovecot_oauth2["deliver"](_mail("Nejde mi tisknout faktury"))
    later = timezone.now() + dt.timedelta(hours=2)
    assert mail_fetch_all(later) == 0
    mailbox.refresh_from_db()
    assert "refused the token (400)" in mailbox.last_error
    assert "revoked" in mailbox.last_error and mailbox.last_error_at == later
    assert InboundMessage.objects.count() == 0
    # Connected again, the mail waiting on the server comes in.
    _connect(client, mailbox, provider)
    assert mail_fetch_all(later + dt.timedelta(minutes=1)) == 1


def test_a_callback_not_started_here_connects_nothing(client, cast, dovecot_oauth2):
    provider = dovecot_oauth2["provider"]
    mailbox = _oauth_mailbox(dovecot_oauth2, cast.help_desk)
    client.force_login(cast.admin)
    started = client.get(reverse("admin:mail_mailbox_connect", args=[mailbox.pk]))
    code = provider.consent(started.url)
    forged = client.get(
        reverse("admin:mail_mailbox_oauth2_callback"), {"code": code, "state": "forged"}
    )
    assert forged.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.oauth_connected_at is None and provider.state.token_requests == []
    client.force_login(cast.agent_help)  # not an administrator: the admin refuses
    response = client.get(reverse("admin:mail_mailbox_connect", args=[mailbox.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url
