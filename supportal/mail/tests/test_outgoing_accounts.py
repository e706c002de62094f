"""Outgoing accounts: a desk's mail sent through an SMTP server that requires sign-in — with a
password, or with OAuth2 (XOAUTH2) after the administrator's "Connect" against a local provider
— a real aiosmtpd server checking each sign-in (``mail.testing_smtp``); mail of other desks
through EMAIL_URL; a failing account told to the administrators once; its secrets rotated."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from supportal.audit.models import AuditEntry
from supportal.core.secrets import secret_decrypt
from supportal.mail.mailboxes import mailbox_save
from supportal.mail.models import (
    MailboxAuth,
    OutboundEmail,
    OutboundState,
    OutgoingAccount,
    SmtpSecurity,
)
from supportal.mail.outbox import email_queue, outbox_send_due
from supportal.mail.testing_oauth import CLIENT_ID, CLIENT_SECRET, OAuthProvider
from supportal.mail.testing_smtp import AuthSmtpServer

pytestmark = pytest.mark.django_db

ACCOUNT_PASSWORD = "parola-contului-smtp"


@pytest.fixture
def provider() -> Iterator[OAuthProvider]:
    with OAuthProvider() as running:
        yield running


@pytest.fixture
def smtp(provider) -> Iterator[AuthSmtpServer]:
    """Signs in ``desk@firm.test`` with its password, or ``alice`` with a live bearer token of
    the local provider (the tokens the provider issued to ``alice``)."""

    def token_valid(user: str, token: str) -> bool:
        return provider.state.access_tokens.get(token) == user

    with AuthSmtpServer(
        users={"desk@firm.test": ACCOUNT_PASSWORD}, token_valid=token_valid
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def _locmem_default(settings) -> None:
    # EMAIL_URL of these tests: Django's in-memory outbox, so the fallback is visible.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SUPPORTAL_BASE_URL = "https://help.firm.test"


def _oauth_account(smtp: AuthSmtpServer, provider: OAuthProvider, desk) -> OutgoingAccount:
    account = OutgoingAccount(
        name="Helpdesk (Microsoft 365)",
        host="127.0.0.1",
        port=smtp.port,
        security=SmtpSecurity.NONE,
        username="alice",
        auth=MailboxAuth.OAUTH2,
        oauth_authorize_url=provider.url + "/authorize",
        oauth_token_url=provider.url + "/token",
        oauth_scope="https://outlook.office.com/SMTP.Send offline_access",
        oauth_client_id=CLIENT_ID,
        desk=desk,
    )
    return mailbox_save(mailbox=account, client_secret=CLIENT_SECRET)


def _password_account(smtp: AuthSmtpServer, *, desk=None, password=ACCOUNT_PASSWORD):
    account = OutgoingAccount(
        name="Every desk",
        host="127.0.0.1",
        port=smtp.port,
        security=SmtpSecurity.NONE,
        username="desk@firm.test",
        desk=desk,
    )
    return mailbox_save(mailbox=account, password=password)


def _connect(client, account: OutgoingAccount, provider: OAuthProvider) -> None:
    started = client.get(reverse("admin:mail_outgoingaccount_connect", args=[account.pk]))
    assert started.status_code == 302 and started.url.startswith(provider.url + "/authorize?")
    code = provider.consent(started.url)
    query = dict(part.split("=", 1) for part in started.url.split("?", 1)[1].split("&"))
    # The provider sends the browser back to the one redirect URI mailboxes use too.
    assert "help.firm.test%2Fadmin%2Fmail%2Fmailbox%2Foauth2%2Fcallback" in query["redirect_uri"]
    back = client.get(
        reverse("admin:mail_mailbox_oauth2_callback"), {"code": code, "state": query["state"]}
    )
    assert back.status_code == 302
    assert back.url == reverse("admin:mail_outgoingaccount_change", args=[account.pk])


def _queue(ticket=None, to="cristina.tanasescu@example.com") -> OutboundEmail:
    return email_queue(
        to=to,
        template="plain",
        context={"subject": "Cererea dumneavoastră", "body": "Bună ziua"},
        language="ro",
        ticket=ticket,
    )


def test_a_desks_mail_goes_out_through_its_account_signed_in_with_xoauth2(
    client, cast, provider, smtp
):
    account = _oauth_account(smtp, provider, cast.help_desk)
    client.force_login(cast.admin)
    _connect(client, account, provider)
    account.refresh_from_db()
    assert account.oauth_connected_at is not None
    assert provider.state.token_requests == ["authorization_code"]
    assert AuditEntry.objects.filter(object_label__contains="Helpdesk (Microsoft").exists()

    help_ticket, dev_ticket = cast.ticket(), cast.ticket(desk=cast.dev_desk)
    OutboundEmail.objects.all().delete()  # the requests' own notifications are not the point
    help_mail, dev_mail, no_desk_mail = _queue(help_ticket), _queue(dev_ticket), _queue()
    now = timezone.now()
    assert outbox_send_due(now) == 3

    # The help desk's mail signed in as alice with XOAUTH2, exactly as documented.
    assert smtp.state.malformed == []
    assert smtp.state.attempts == [("XOAUTH2", "alice", True)]
    assert [(got.login, got.message["Message-ID"]) for got in smtp.state.received] == [
        ("alice", help_mail.message_id)
    ]
    # The other desk and mail of no desk: EMAIL_URL (no account serves every desk).
    assert sorted(message.extra_headers["Message-ID"] for message in mail.outbox) == sorted(
        [dev_mail.message_id, no_desk_mail.message_id]
    )
    assert set(OutboundEmail.objects.values_list("state", flat=True)) == {OutboundState.SENT}
    account.refresh_from_db()
    assert account.last_success_at == now and account.last_error == ""

    # The token is reused while it lasts, then refreshed with the refresh token.
    _queue(help_ticket)
    assert outbox_send_due(now + dt.timedelta(minutes=5)) == 1
    assert provider.state.token_requests == ["authorization_code"]
    _queue(help_ticket)
    assert outbox_send_due(now + dt.timedelta(hours=2)) == 1
    assert provider.state.token_requests == ["authorization_code", "refresh_token"]
    assert [attempt[2] for attempt in smtp.state.attempts] == [True, True, True]
    assert len(smtp.state.received) == 3


def test_a_refused_sign_in_keeps_the_mail_and_tells_the_administrators_once(
    client, cast, provider, smtp
):
    account = _oauth_account(smtp, provider, cast.help_desk)
    client.force_login(cast.admin)
    _connect(client, account, provider)
    ticket = cast.ticket()
    OutboundEmail.objects.all().delete()
    # The provider still issues tokens, but the SMTP server no longer takes them (the
    # mailbox lost its SMTP.Send permission): Google's 334 error challenge, then 535.
    smtp.token_valid = lambda user, token: False
    first, second = _queue(ticket), _queue(ticket)
    now = timezone.now()
    assert outbox_send_due(now) == 2
    assert smtp.state.attempts == [("XOAUTH2", "alice", False)]  # one sign-in for the batch
    assert smtp.state.received == []
    for queued in (first, second):
        queued.refresh_from_db()
        assert queued.state == OutboundState.PENDING and "535" in queued.last_error
    account.refresh_from_db()
    assert "Username and Password not accepted" in account.last_error
    told = OutboundEmail.objects.filter(template="outgoing_failing")
    assert [row.to for row in told] == [[cast.admin.email]]
    assert "Helpdesk (Microsoft 365)" in told.get().subject

    # Failing again (the retries): no second mail to the administrators.
    # The two, and the alert (through EMAIL_URL).
    assert outbox_send_due(now + dt.timedelta(hours=1)) == 3
    assert told.count() == 1

    # Fixed: the mail waiting goes out, the state is clear, and a new failure is told again.
    smtp.token_valid = lambda user, token: provider.state.access_tokens.get(token) == user
    assert outbox_send_due(now + dt.timedelta(hours=3)) == 2
    first.refresh_from_db()
    account.refresh_from_db()
    assert first.state == OutboundState.SENT and account.last_error == ""


def test_a_password_account_for_every_desk_signs_in_with_its_password(cast, smtp):
    account = _password_account(smtp)
    assert ACCOUNT_PASSWORD not in account.password_encrypted
    dev_mail, no_desk_mail = _queue(cast.ticket(desk=cast.dev_desk)), _queue()
    assert outbox_send_due(timezone.now()) >= 2
    signed = {(mechanism, user, ok) for mechanism, user, ok in smtp.state.attempts}
    assert signed <= {("PLAIN", "desk@firm.test", True), ("LOGIN", "desk@firm.test", True)}
    ids = {got.message["Message-ID"] for got in smtp.state.received}
    assert {dev_mail.message_id, no_desk_mail.message_id} <= ids
    assert mail.outbox == []

    # A changed password: refused, recorded, kept for later.
    OutgoingAccount.objects.filter(pk=account.pk).update(last_error="")
    mailbox_save(mailbox=account, password="parola-veche")
    waiting = _queue()
    outbox_send_due(timezone.now())
    waiting.refresh_from_db()
    account.refresh_from_db()
    assert waiting.state == OutboundState.PENDING
    assert "535" in account.last_error and "parola" not in account.last_error


def test_secrets_rotate_re_encrypts_the_outgoing_accounts_secrets(cast, smtp, provider):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SUPPORTAL_SECRET_KEYS=[old]):
        password_account = _password_account(smtp)
        oauth_account = _oauth_account(smtp, provider, cast.help_desk)
    with override_settings(SUPPORTAL_SECRET_KEYS=[new, old]):
        out = io.StringIO()
        call_command("secrets_rotate", stdout=out)
    assert "1 outgoing account password(s) and 1 OAuth2 secret(s)" in out.getvalue()
    password_account.refresh_from_db()
    oauth_account.refresh_from_db()
    with override_settings(SUPPORTAL_SECRET_KEYS=[new]):  # the old key is gone
        assert secret_decrypt(password_account.password_encrypted) == ACCOUNT_PASSWORD
        assert secret_decrypt(oauth_account.oauth_client_secret_encrypted) == CLIENT_SECRET


def test_administrators_add_an_account_whose_password_is_never_shown_again(client, cast, smtp):
    client.force_login(cast.admin)
    add = reverse("admin:mail_outgoingaccount_add")
    form = {
        "name": "Suport",
        "host": "127.0.0.1",
        "port": smtp.port,
        "security": SmtpSecurity.NONE,
        "username": "desk@firm.test",
        "auth": MailboxAuth.PASSWORD,
        "password": "",
        "desk": cast.help_desk.pk,
        "is_active": "on",
    }
    refused = client.post(add, form)
    assert refused.status_code == 200 and "Enter the account" in refused.content.decode()
    assert 'value="desk@firm.test"' in refused.content.decode()  # what was typed stays
    saved = client.post(add, {**form, "password": ACCOUNT_PASSWORD})
    assert saved.status_code == 302
    account = OutgoingAccount.objects.get()
    page = client.get(reverse("admin:mail_outgoingaccount_change", args=[account.pk]))
    assert ACCOUNT_PASSWORD not in page.content.decode()
    entry = AuditEntry.objects.filter(object_label__contains="Suport").latest("pk")
    assert ACCOUNT_PASSWORD not in str(entry.after)
    # "Sign in now" reports what the server said.
    checked = client.post(
        reverse("admin:mail_outgoingaccount_changelist"),
        {"action": "sign_in_now", "_selected_action": [account.pk]},
        follow=True,
    )
    assert "signed in" in checked.content.decode()
    # A second account for every desk is refused: the choice per desk must stay clear.
    client.post(add, {**form, "name": "Toate", "desk": "", "password": "x"})
    again = client.post(add, {**form, "name": "Încă una", "desk": "", "password": "x"})
    assert again.status_code == 200
    assert "already serves every desk" in again.content.decode()


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("https://help.firm.test", "Register this address with the provider"),
        ("http://127.0.0.1:8000", "only for this machine"),
        ("http://help.firm.test", "refuse such a redirect URI"),
    ],
)
def test_the_redirect_uri_to_register_is_shown_truthfully(client, cast, settings, base_url, says):
    settings.SUPPORTAL_BASE_URL = base_url
    client.force_login(cast.admin)
    account = OutgoingAccount.objects.create(
        name="Google", host="smtp.gmail.com", username="help@firm.test", auth=MailboxAuth.GOOGLE
    )
    page = client.get(reverse("admin:mail_outgoingaccount_change", args=[account.pk]))
    text = page.content.decode()
    assert f"{base_url}/admin/mail/mailbox/oauth2/callback/" in text
    assert says in text
