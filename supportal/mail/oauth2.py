"""OAuth2 sign-in for mailboxes and outgoing accounts (XOAUTH2), for Microsoft 365, Google
Workspace or any provider with the standard endpoints (docs/email.md, "Mailboxes with OAuth2").

The administrator connects a mailbox once: ``connect_start`` gives the provider's authorization
URL (authorization-code flow with PKCE, RFC 7636) and what the browser's session must keep;
the provider sends the browser back to the callback, and ``connect_finish`` exchanges the code
for tokens. From then on the worker asks ``access_token`` before each check: a token valid for
another minute is reused, else the refresh token gets a new one (and the provider's new refresh
token replaces the old, as Microsoft and Google rotate them). Every token is stored encrypted
(``core.secrets``). A failed refresh is the mailbox's error, shown where it is edited.

HTTP goes through the standard library: a form POST and a JSON answer are all the token endpoint
needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from supportal import audit
from supportal.audit.models import Action
from supportal.core.errors import DomainError, InvalidInput
from supportal.core.secrets import secret_decrypt, secret_encrypt
from supportal.mail.models import MailboxAuth, SignIn

TIMEOUT_SECONDS = 20
REUSE_MARGIN = timedelta(minutes=1)

_MICROSOFT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/"
# The authorization and token endpoints; the scope depends on IMAP or SMTP (SignIn.OAUTH_SCOPES).
PRESETS = {
    MailboxAuth.MICROSOFT: (_MICROSOFT + "authorize", _MICROSOFT + "token"),
    MailboxAuth.GOOGLE: (
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
    ),
}


class TokenRefused(DomainError):
    """The provider refused to issue a token (revoked consent, wrong secret, expired grant)."""


@dataclass(frozen=True)
class Endpoints:
    authorize_url: str
    token_url: str
    scope: str


def endpoints(mailbox: SignIn) -> Endpoints:
    """The provider's endpoints and scope: the preset of Microsoft or Google (with the tenant;
    the scope of IMAP or of SMTP), or what the administrator entered for another provider."""
    preset = PRESETS.get(MailboxAuth(mailbox.auth))
    if preset is None:
        return Endpoints(mailbox.oauth_authorize_url, mailbox.oauth_token_url, mailbox.oauth_scope)
    tenant = mailbox.oauth_tenant or "organizations"
    authorize, token = (part.format(tenant=tenant) for part in preset)
    scope = mailbox.oauth_scope or mailbox.OAUTH_SCOPES[mailbox.auth]
    return Endpoints(authorize, token, scope)


def client_secret_set(mailbox: SignIn, client_secret: str) -> None:
    """Keep the application's client secret (encrypted); the caller saves the row."""
    mailbox.oauth_client_secret_encrypted = secret_encrypt(client_secret)


@dataclass(frozen=True)
class Connecting:
    """What the administrator's session keeps between the redirect and the callback."""

    mailbox_id: int
    state: str
    verifier: str
    model: str = "mail.mailbox"  # or "mail.outgoingaccount": one callback serves both


def connect_start(mailbox: SignIn, *, redirect_uri: str) -> tuple[str, Connecting]:
    """The provider's authorization URL to send the administrator to, and what to keep."""
    if mailbox.auth == MailboxAuth.PASSWORD:
        raise InvalidInput(_("This mailbox signs in with a password, not with OAuth2."))
    found = endpoints(mailbox)
    if not (found.authorize_url and found.token_url and mailbox.oauth_client_id):
        raise InvalidInput(
            _("Enter the provider's authorization and token URLs and the client id first.")
        )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    connecting = Connecting(
        mailbox.pk, secrets.token_urlsafe(24), verifier, mailbox._meta.label_lower
    )
    query = {
        "response_type": "code",
        "client_id": mailbox.oauth_client_id,
        "redirect_uri": redirect_uri,
        "scope": found.scope,
        "state": connecting.state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        "login_hint": mailbox.username,
        "access_type": "offline",  # Google: a refresh token
        "prompt": "consent",
    }
    separator = "&" if "?" in found.authorize_url else "?"
    return found.authorize_url + separator + urllib.parse.urlencode(query), connecting


def connect_finish(
    mailbox: SignIn,
    *,
    actor: Any,
    code: str,
    connecting: Connecting,
    redirect_uri: str,
    now: datetime,
) -> None:
    """Exchange the authorization code for tokens and keep them. Side effects: the row, and an
    audit entry naming ``actor`` (the tokens themselves are never recorded)."""
    answer = _token_request(
        mailbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": connecting.verifier,
        },
    )
    if not answer.get("refresh_token"):
        raise TokenRefused(_("The provider gave no refresh token: is offline access in the scope?"))
    _keep(mailbox, answer, now=now)
    mailbox.oauth_connected_at = now
    mailbox.last_error = ""
    with transaction.atomic():
        mailbox.save()
        audit.record(
            actor=actor,
            action=Action.SETTINGS_CHANGED,
            obj=mailbox,
            after={"oauth_connected_at": now, "oauth_refresh_token": "(new)"},
        )


def access_token(mailbox: SignIn, *, now: datetime) -> str:
    """A valid access token for ``mailbox``: the stored one while it lasts, else a new one from
    the refresh token (TokenRefused when the provider says no). Side effect: the row."""
    expires = mailbox.oauth_access_expires_at
    if mailbox.oauth_access_token_encrypted and expires and expires - REUSE_MARGIN > now:
        return secret_decrypt(mailbox.oauth_access_token_encrypted)
    if not mailbox.oauth_refresh_token_encrypted:
        raise TokenRefused(_("The mailbox is not connected: use “Connect” first."))
    refresh = secret_decrypt(mailbox.oauth_refresh_token_encrypted)
    answer = _token_request(mailbox, {"grant_type": "refresh_token", "refresh_token": refresh})
    _keep(mailbox, answer, now=now)
    mailbox.save(
        update_fields=[
            "oauth_access_token_encrypted",
            "oauth_access_expires_at",
            "oauth_refresh_token_encrypted",
        ]
    )
    return str(answer["access_token"])


def xoauth2_string(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (IMAP ``AUTHENTICATE XOAUTH2``, SMTP ``AUTH
    XOAUTH2``): ``user=<user>^Aauth=Bearer <token>^A^A``, base64-encoded by the protocol."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def _keep(mailbox: SignIn, answer: dict[str, object], *, now: datetime) -> None:
    mailbox.oauth_access_token_encrypted = secret_encrypt(str(answer["access_token"]))
    lifetime = int(str(answer.get("expires_in") or 3600))
    mailbox.oauth_access_expires_at = now + timedelta(seconds=lifetime)
    if answer.get("refresh_token"):  # providers may rotate it; else the old one stays valid
        mailbox.oauth_refresh_token_encrypted = secret_encrypt(str(answer["refresh_token"]))


def _token_request(mailbox: SignIn, form: dict[str, str]) -> dict[str, object]:
    """POST to the token endpoint; the JSON answer, or TokenRefused with the provider's
    reason (never the secrets sent)."""
    found = endpoints(mailbox)
    form = {**form, "client_id": mailbox.oauth_client_id, "scope": found.scope}
    if mailbox.oauth_client_secret_encrypted:
        form["client_secret"] = secret_decrypt(mailbox.oauth_client_secret_encrypted)
    url = found.token_url
    if urllib.parse.urlsplit(url).scheme not in {"https", "http"}:
        raise TokenRefused(_("The token URL must be an https:// address."))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        reason = _provider_reason(exc)
        raise TokenRefused(
            _("The provider refused the token (%(status)s): %(reason)s")
            % {"status": exc.code, "reason": reason}
        ) from None
    except (OSError, ValueError) as exc:
        raise TokenRefused(
            _("The provider's token endpoint could not be reached: %(error)s") % {"error": exc}
        ) from None
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise TokenRefused(_("The provider's answer holds no access token."))
    return answer


def _provider_reason(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return error.reason or ""
    if not isinstance(body, dict):
        return ""
    return str(body.get("error_description") or body.get("error") or "")[:300]
