"""IMAP polling: fetch new mail from one or more mailboxes into the inbox.

Mailboxes are records administrators manage in the web (``mail.models.Mailbox``, passwords
encrypted: ``mail/mailboxes.py``), or configured in the environment, whose passwords are then
never stored at all::

    SUPPORTAL_IMAP_MAILBOXES="imap://support%40firm.ro@mail.firm.ro:993/INBOX?desk=HELP&tls=ssl"
    SUPPORTAL_IMAP_PASSWORD="…"          # or ?password_env=OTHER_VARIABLE per mailbox

Several mailboxes are separated by spaces. A message is marked ``\\Seen`` (or moved, with
``?move_to=Folder``) only after ``inbound_store`` has saved its bytes: a crash in between
fetches it again next time, and storing is idempotent, so nothing is lost or duplicated.
"""

from __future__ import annotations

import imaplib
import logging
import os
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings

from supportal.mail.inbound import inbound_store
from supportal.mail.models import InboundChannel
from supportal.mail.oauth2 import xoauth2_string

logger = logging.getLogger("supportal.mail.imap")

MAILBOXES_VARIABLE = "SUPPORTAL_IMAP_MAILBOXES"
PASSWORD_VARIABLE = "SUPPORTAL_IMAP_PASSWORD"  # noqa: S105 (a variable name)
TIMEOUT_SECONDS = 60
BATCH_SIZE = 200


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password_env: str
    folder: str = "INBOX"
    desk: str = ""
    tls: str = "ssl"  # ssl, starttls or none (none only for 127.0.0.1 tests and local relays)
    move_to: str = ""
    password: str = field(default="", repr=False)  # a stored mailbox's; else password_env's
    access_token: str = field(default="", repr=False)  # OAuth2: signs in with XOAUTH2

    def __str__(self) -> str:  # never the password
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_parse(url: str) -> Mailbox:
    """A Mailbox from ``imap[s]://user@host:port/FOLDER?desk=KEY&tls=…&move_to=…``. Pure."""
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"}:
        raise ValueError(f"not an IMAP URL: {parts.scheme}://…")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    tls = query.get("tls") or ("ssl" if parts.scheme == "imaps" else "starttls")
    if tls not in {"ssl", "starttls", "none"}:
        raise ValueError(f"tls must be ssl, starttls or none, not {tls}")
    return Mailbox(
        host=parts.hostname or "",
        port=parts.port or (993 if tls == "ssl" else 143),
        user=unquote(parts.username or ""),
        password_env=query.get("password_env", PASSWORD_VARIABLE),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        desk=query.get("desk", "").upper(),
        tls=tls,
        move_to=query.get("move_to", ""),
    )


def mailboxes_configured() -> list[Mailbox]:
    return [mailbox_parse(url) for url in settings.SUPPORTAL_IMAP_MAILBOXES]


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.tls == "ssl":
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            mailbox.host,
            mailbox.port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT_SECONDS,
        )
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
        if mailbox.tls == "starttls":
            client.starttls(ssl.create_default_context())
    if mailbox.access_token:
        client.authenticate("XOAUTH2", lambda _: xoauth2_string(mailbox.user, mailbox.access_token))
    else:
        client.login(mailbox.user, mailbox.password or os.environ.get(mailbox.password_env, ""))
    return client


def mailbox_fetch(mailbox: Mailbox, *, now: datetime | None = None) -> list[int]:
    """Store every unseen message of ``mailbox``; mark each seen (or move it) once stored.

    Returns the ids of the InboundMessage rows (new or already stored). Side effects: rows in
    the inbox; flags or moves on the IMAP server. Raises on connection or login errors."""
    client = _connect(mailbox)
    stored_ids: list[int] = []
    try:
        status, _data = client.select(f'"{mailbox.folder}"')
        if status != "OK":
            raise RuntimeError(f"cannot open {mailbox}")
        status, data = client.uid("SEARCH", "UNSEEN")
        found: bytes = (data[0] or b"") if status == "OK" else b""
        uids = [uid.decode("ascii") for uid in found.split()[:BATCH_SIZE]]
        for uid in uids:
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next(
                (item[1] for item in fetched or [] if isinstance(item, tuple) and len(item) > 1),
                None,
            )
            if status != "OK" or raw is None:
                logger.warning("could not fetch UID %s from %s", uid, mailbox)
                continue
            stored = inbound_store(raw, channel=InboundChannel.IMAP, mailbox=mailbox.desk, now=now)
            stored_ids.append(stored.message.pk)
            # Only now that the bytes are safe.
            if mailbox.move_to:
                client.uid("COPY", uid, f'"{mailbox.move_to}"')
                client.uid("STORE", uid, "+FLAGS", "(\\Deleted \\Seen)")
            else:
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if mailbox.move_to and uids:
            client.expunge()
    finally:
        try:
            client.logout()
        except Exception:  # the connection is being dropped anyway
            logger.debug("IMAP logout failed", exc_info=True)
    return stored_ids


def configured_mailboxes_fetch(now: datetime) -> int:
    """Fetch every mailbox configured in the environment; a failing mailbox is logged and does
    not stop the others. Returns how many messages were stored."""
    count = 0
    for url in settings.SUPPORTAL_IMAP_MAILBOXES:
        try:
            mailbox = mailbox_parse(url)
        except ValueError:
            logger.exception("a mailbox in %s is not a valid URL", MAILBOXES_VARIABLE)
            continue
        try:
            count += len(mailbox_fetch(mailbox, now=now))
        except Exception:
            logger.exception("fetching %s failed", mailbox)
    return count
