"""Reply addresses, the "don't notify me" token and held addresses."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import User
from supportal.mail.inbound.listeners import HardBounce, ReplyAddressLookup
from supportal.notifications.models import (
    SuppressedAddress,
    SuppressionReason,
    TicketReplyAddress,
)
from supportal.tickets.models import Ticket

REPLY_LOCAL_PART = "support"


MUTE_SALT = "supportal.notifications.mute"


def _reply_token_new() -> str:
    # 120 random bits in lower-case base32: safe in a local part, and mail systems that fold
    # the case of local parts cannot break it.
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def _reply_address_create(ticket_id: int) -> TicketReplyAddress:
    existing = TicketReplyAddress.objects.filter(ticket_id=ticket_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TicketReplyAddress.objects.create(ticket_id=ticket_id, token=_reply_token_new())
    except IntegrityError:
        # Another worker gave this ticket its address first.
        return TicketReplyAddress.objects.get(ticket_id=ticket_id)


def reply_address_get(ticket: Ticket) -> str:
    """The request's own reply address ``support+<token>@SUPPORTAL_MAIL_DOMAIN``.

    Side effect: creates the token for a request that has none yet (requests older than this
    module)."""
    token = _reply_address_create(ticket.pk).token
    return f"{REPLY_LOCAL_PART}+{token}@{settings.SUPPORTAL_MAIL_DOMAIN}"


def reply_token_resolve(token: str) -> Ticket | None:
    """The request a reply token (or a whole ``support+<token>@domain`` address) belongs to,
    or None. For inbound mail: the sender must still be checked against the request."""
    token = (token or "").strip().lower()
    if "@" in token:
        local_part = token.split("@", 1)[0]
        token = local_part.split("+", 1)[1] if "+" in local_part else ""
    if not token:
        return None
    row = TicketReplyAddress.objects.select_related("ticket").filter(token=token).first()
    if row is not None:
        return row.ticket
    from supportal.mail.models import PersonalReplyAddress

    personal = PersonalReplyAddress.objects.select_related("ticket").filter(token=token).first()
    return personal.ticket if personal else None


def thread_root_id(ticket: Ticket) -> str:
    """The Message-ID every mail of this request refers to, so clients group them."""
    return f"<ticket-{ticket.pk}@{settings.SUPPORTAL_MAIL_DOMAIN}>"


def mute_token_make(*, ticket: Ticket, user: User) -> str:
    """A signed token for "don't notify me" on this request, for this person. No expiry:
    a one-click link in an old mail must still work."""
    # No timestamp in it: the same link for the same person and request, in every mail.
    return signing.Signer(salt=MUTE_SALT).sign_object([ticket.pk, user.pk])


def mute_url(*, ticket: Ticket, user: User) -> str:
    path = reverse("notifications:mute", args=[mute_token_make(ticket=ticket, user=user)])
    return f"{settings.SUPPORTAL_BASE_URL}{path}"


def ticket_mute_by_token(*, token: str, now: datetime | None = None) -> tuple[Ticket, User]:
    """The one-click "don't notify me" (RFC 8058 POST or the confirmation page's button).

    Raises NotFound for a tampered or unknown token. Side effects: those of
    ``tickets.services.ticket_mute_set`` (a NotificationMute row and an internal event).
    """
    from supportal.notifications.selectors import mute_token_read
    from supportal.tickets.services import ticket_mute_set

    ticket, user = mute_token_read(token)
    ticket_mute_set(ticket=ticket, user=user, is_muted=True, now=now)
    return ticket, user


def address_suppress(
    *,
    email: str,
    reason: SuppressionReason = SuppressionReason.HARD_BOUNCE,
    detail: str = "",
    now: datetime | None = None,
) -> SuppressedAddress:
    """Stop sending to ``email`` (the inbound module calls this for a hard bounce). Later mail
    to it is kept in the outbox as held, with the reason. Side effect: one row, updated if
    the address was already held."""
    row, _created = SuppressedAddress.objects.update_or_create(
        email=email.strip().lower(),
        defaults={"reason": reason, "detail": detail[:2000], "created_at": now or timezone.now()},
    )
    return row


def bounce_record(bounce: HardBounce) -> None:
    """The listener of inbound mail's hard bounces: hold the address."""
    address_suppress(email=bounce.email, detail=bounce.detail, now=bounce.at)


def reply_address_lookup(lookup: ReplyAddressLookup) -> None:
    """The listener of inbound mail's reply-address lookups: the request whose reply token
    the address carries, when it is one of ours."""
    if lookup.ticket is None:
        lookup.ticket = reply_token_resolve(lookup.address)


def address_release(*, email: str) -> bool:
    """Send to ``email`` again (mail already held stays held until retried in the admin)."""
    deleted, _details = SuppressedAddress.objects.filter(email=email.strip().lower()).delete()
    return bool(deleted)
