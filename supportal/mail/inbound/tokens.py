"""Personal reply addresses: the reply address of a notification is issued to its recipient.

A reply arriving on ``support+<token>@domain`` from the address of the person the token was
issued to is that person's (the token is a secret only their mail carried). From any other
address the token still threads the mail to its request, but proves nothing about the sender
(docs/security.md). Requests' older, shared tokens (``notifications.TicketReplyAddress``) keep
threading too.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction

from supportal.accounts.models import User
from supportal.mail.models import PersonalReplyAddress
from supportal.tickets.models import Ticket

REPLY_LOCAL_PART = "support"


def _token_new() -> str:
    # 120 random bits in lower-case base32: safe in a local part, and mail systems that fold
    # the case of local parts cannot break it.
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def personal_reply_address(*, ticket: Ticket, user: User) -> str:
    """``support+<token>@SUPPORTAL_MAIL_DOMAIN``, this person's for this request. Side effect:
    creates the token the first time."""
    row = PersonalReplyAddress.objects.filter(ticket=ticket, user=user).first()
    if row is None:
        try:
            with transaction.atomic():
                row = PersonalReplyAddress.objects.create(
                    ticket=ticket, user=user, token=_token_new()
                )
        except IntegrityError:  # another worker issued it first
            row = PersonalReplyAddress.objects.get(ticket=ticket, user=user)
    return f"{REPLY_LOCAL_PART}+{row.token}@{settings.SUPPORTAL_MAIL_DOMAIN}"


def personal_reply_resolve(address: str) -> PersonalReplyAddress | None:
    """The personal reply address an address carries (``support+<token>@…``), or None."""
    local_part = address.strip().strip("<>").lower().split("@", 1)[0]
    token = local_part.split("+", 1)[1] if "+" in local_part else ""
    if not token:
        return None
    return PersonalReplyAddress.objects.select_related("ticket", "user").filter(token=token).first()
