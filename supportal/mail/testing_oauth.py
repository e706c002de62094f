"""A local OAuth2 provider for the tests of mailboxes with OAuth2 (docs/email.md): the token
endpoint (authorization-code grant with PKCE, refresh-token grant with rotation, as RFC 6749
and RFC 7636 describe them and as Microsoft's and Google's endpoints answer) and a token
introspection endpoint (RFC 7662) that the test's Dovecot asks about each XOAUTH2 sign-in.

Nothing here runs in production; it answers only on 127.0.0.1, on a port the system chooses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from supportal.core.testing_http import LocalHTTPServer

CLIENT_ID = "supportal-test"
CLIENT_SECRET = "client-secret-of-the-test"  # noqa: S105 - the local provider's own


@dataclass
class _Grant:
    username: str
    challenge: str
    redirect_uri: str


@dataclass
class ProviderState:
    codes: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> username
    access_tokens: dict[str, str] = field(default_factory=dict)
    token_requests: list[str] = field(default_factory=list)  # grant types, in order
    introspections: int = 0
    lifetime_seconds: int = 3600


class OAuthProvider:
    def __enter__(self) -> OAuthProvider:
        self.state = ProviderState()
        self.server = LocalHTTPServer(_handler(self.state)).start()
        self.url = self.server.url
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.close()

    def consent(self, authorization_url: str, *, username: str = "alice") -> str:
        """What the browser does at the provider: the user signs in and agrees. Returns the
        code the provider would send to the redirect URI."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            raise ValueError(f"not an authorization request of our client: {query}")
        if query.get("code_challenge_method") != "S256":
            raise ValueError("the authorization request has no PKCE S256 challenge")
        code = secrets.token_urlsafe(16)
        self.state.codes[code] = _Grant(username, query["code_challenge"], query["redirect_uri"])
        return code

    def revoke_refresh_tokens(self) -> None:
        self.state.refresh_tokens.clear()


def _handler(state: ProviderState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path.startswith("/token"):
                status, body = _token(state, form)
            elif self.path.startswith("/introspect"):
                status, body = _introspect(state, form, self.headers.get("Authorization", ""))
            else:
                status, body = 404, {"error": "not_found"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _issue(state: ProviderState, username: str) -> dict[str, object]:
    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    state.access_tokens[access] = username
    state.refresh_tokens[refresh] = username
    return {
        "token_type": "Bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": state.lifetime_seconds,
        "scope": "IMAP.AccessAsUser.All offline_access",
    }


def _invalid(description: str) -> tuple[int, dict[str, object]]:
    return 400, {"error": "invalid_grant", "error_description": description}


def _token(state: ProviderState, form: dict[str, str]) -> tuple[int, dict[str, object]]:
    state.token_requests.append(form.get("grant_type", ""))
    if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
        return 401, {"error": "invalid_client", "error_description": "Unknown client."}
    if form.get("grant_type") == "authorization_code":
        grant = state.codes.pop(form.get("code", ""), None)
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return _invalid("The code is unknown, used, or for another redirect URI.")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return _invalid("PKCE verification failed.")
        return 200, _issue(state, grant.username)
    if form.get("grant_type") == "refresh_token":
        username = state.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if username is None:
            return _invalid("AADSTS70008: The refresh token has expired or was revoked.")
        return 200, _issue(state, username)
    return 400, {"error": "unsupported_grant_type"}


def _introspect(
    state: ProviderState, form: dict[str, str], authorization: str
) -> tuple[int, dict[str, object]]:
    state.introspections += 1
    token = form.get("token") or authorization.removeprefix("Bearer ").strip()
    username = state.access_tokens.get(token)
    if username is None:
        return 200, {"active": False}
    return 200, {"active": True, "username": username}
