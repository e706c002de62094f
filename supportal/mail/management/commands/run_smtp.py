"""``manage.py run_smtp``: the SMTP listener that receives mail for Supportal's mailboxes.

It accepts recipients that a desk's mailbox serves (``support@…`` and ``support+<token>@…``)
and refuses others at RCPT time. A message is acknowledged (250) only once its bytes are stored;
if storing fails the sender is told to retry (451), so nothing is lost.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from supportal.mail.inbound import inbound_store, served_address
from supportal.mail.models import InboundChannel

logger = logging.getLogger("supportal.smtp")

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
# Any failure to check or store, at any stage: one line, temporary, no internal detail — the
# sending server retries later, and nothing about our database reaches it (docs/security.md).
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def _is_served(address: str) -> bool:
    # The database work runs in asgiref's executor thread; closing its connection after each
    # step costs little at mail volumes and leaves no idle session behind a stopped listener.
    try:
        return served_address(address) is not None
    finally:
        connections.close_all()


def _store(
    raw: bytes, envelope_from: str, recipients: list[str], peer_ip: str | None, helo: str
) -> int:
    try:
        stored = inbound_store(
            raw,
            channel=InboundChannel.SMTP,
            envelope_from=envelope_from,
            recipients=recipients,
            peer_ip=peer_ip,
            helo=helo,
        )
        return stored.message.pk
    finally:
        connections.close_all()


def _peer_ip(session: Session) -> str | None:
    """The connecting host's address (for SPF), when it is one."""
    peer = session.peer
    host = peer[0] if isinstance(peer, tuple) and peer else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _log_failure(what: str) -> None:
    """One line per failure, with the error's kind but not its text (which may name hosts and
    users of the database); the full trace only at debug level."""
    import sys

    error = sys.exc_info()[1]
    logger.warning("%s: %s", what, type(error).__name__ if error else "unknown error")
    logger.debug("details", exc_info=True)


class InboundHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        try:
            served = await sync_to_async(_is_served, thread_sensitive=True)(address)
        except Exception:
            _log_failure("could not check a recipient")
            return TEMPORARY_FAILURE
        if not served:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            message_pk = await sync_to_async(_store, thread_sensitive=True)(
                raw,
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                _peer_ip(session),
                session.host_name or "",
            )
        except Exception:
            _log_failure("could not store a message")
            return TEMPORARY_FAILURE
        logger.info("stored message #%s from %s", message_pk, envelope.mail_from)
        return f"250 OK stored as #{message_pk}"

    async def handle_exception(self, error: Exception) -> str:
        """Whatever else fails in a session: the same one temporary line."""
        logger.warning("SMTP session failed: %s", type(error).__name__)
        return TEMPORARY_FAILURE


def smtp_controller(host: str, port: int) -> Controller:
    """A listener ready to ``start()`` (tests start one on a free port)."""
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
    )


class Command(BaseCommand):
    help = "Receive mail for the desks' mailboxes over SMTP (SUPPORTAL_SMTP_LISTEN)."
    # Receiving must not wait on unrelated checks (docs/deploy.md, "System checks"), as for
    # ingest_email.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--listen", help="host:port (default: SUPPORTAL_SMTP_LISTEN)")

    def handle(self, *args: Any, listen: str | None = None, **options: Any) -> None:
        host, port = settings.SUPPORTAL_SMTP_LISTEN
        if listen:
            host, _sep, port_text = listen.rpartition(":")
            port = int(port_text)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
        controller = smtp_controller(host, port)
        controller.start()
        self.stdout.write(f"SMTP listener on {host}:{port}")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
