"""A local SMTP server that requires sign-in, for the tests of outgoing accounts (docs/email.md,
"Outgoing accounts"): aiosmtpd with an authenticator for ``AUTH PLAIN``/``LOGIN`` and a handler
for ``AUTH XOAUTH2`` that checks the initial response exactly as Google and Microsoft document it
(base64 of ``user=<user>^Aauth=Bearer <token>^A^A``) and asks the test's token check about the
bearer token. A refused token gets Google's answer: a ``334`` challenge holding a JSON error,
then, after the client's empty line, ``535 5.7.8``.

Nothing here runs in production; it answers only on 127.0.0.1, on a port the system chooses.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

XOAUTH2_RESPONSE = re.compile(
    rb"\Auser=(?P<user>[^\x01]+)\x01auth=Bearer (?P<token>[^\x01]+)\x01\x01\Z"
)
GOOGLE_ERROR = {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}
REFUSED = "535 5.7.8 Username and Password not accepted"


@dataclass
class Received:
    """A message the server accepted, with who signed in to send it."""

    login: str
    mechanism: str
    envelope_from: str
    recipients: list[str]
    message: email.message.EmailMessage


@dataclass
class ServerState:
    received: list[Received] = field(default_factory=list)
    # Every sign-in attempt: (mechanism, user, accepted).
    attempts: list[tuple[str, str, bool]] = field(default_factory=list)
    malformed: list[bytes] = field(default_factory=list)  # XOAUTH2 responses not as documented


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, server: AuthSmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        signed = session.auth_data if isinstance(session.auth_data, _Signed) else _Signed("", "")
        self.server.state.received.append(
            Received(
                login=signed.login,
                mechanism=signed.mechanism,
                envelope_from=envelope.mail_from or "",
                recipients=list(envelope.rcpt_tos),
                message=email.message_from_bytes(data, policy=email.policy.default),
            )
        )
        return "250 2.0.0 OK"

    async def auth_XOAUTH2(self, smtp: SMTP, args: list[str]) -> AuthResult:
        """``AUTH XOAUTH2 <base64>`` (Google's form) or ``AUTH XOAUTH2``, ``334``, ``<base64>``
        (Microsoft's)."""
        if len(args) > 1:
            try:
                response = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                return AuthResult(success=False, handled=False, message="501 5.5.2 Not base64")
        else:
            answer = await smtp.challenge_auth("", encode_to_b64=False)
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            response = answer
        matched = XOAUTH2_RESPONSE.match(response)
        if matched is None:
            self.server.state.malformed.append(response)
            return AuthResult(success=False, handled=False, message="501 5.5.2 Malformed XOAUTH2")
        user, token = matched["user"].decode(), matched["token"].decode()
        accepted = self.server.token_valid(user, token)
        self.server.state.attempts.append(("XOAUTH2", user, accepted))
        if accepted:
            return AuthResult(success=True, auth_data=_Signed(user, "XOAUTH2"))
        # Google: the error as a challenge; the client answers with an empty line.
        await smtp.challenge_auth(json.dumps(GOOGLE_ERROR).encode(), encode_to_b64=True)
        return AuthResult(success=False, handled=False, message=REFUSED)


@dataclass
class _Signed:
    login: str
    mechanism: str


class AuthSmtpServer:
    """``with AuthSmtpServer(users={"u": "p"}, token_valid=...) as server:`` — an SMTP server
    on ``server.port`` that refuses mail until the client signs in (PLAIN or LOGIN with one of
    ``users``' passwords, or XOAUTH2 with a token ``token_valid(user, token)`` accepts)."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        token_valid: Callable[[str, str], bool] = lambda user, token: False,
    ) -> None:
        self.users = users or {}
        self.token_valid = token_valid
        self.state = ServerState()
        self.port = _free_port()
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            authenticator=self._authenticate,
            auth_required=True,
            # The test speaks plain SMTP on loopback; real providers require TLS first.
            auth_require_tls=False,
        )

    def _authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        accepted = user in self.users and self.users[user] == password
        self.state.attempts.append((mechanism, user, accepted))
        if not accepted:
            return AuthResult(success=False, handled=False, message=REFUSED)
        return AuthResult(success=True, auth_data=_Signed(user, mechanism))

    def __enter__(self) -> AuthSmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()
