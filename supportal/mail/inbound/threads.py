"""Threading: which desk received a message and which request it answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from supportal.accounts.models import User
from supportal.desks.models import Desk
from supportal.mail.content import ParsedMail
from supportal.mail.inbound.listeners import reply_address_ticket
from supportal.mail.inbound.rows import ticket_by_references
from supportal.mail.inbound.store import served_address
from supportal.mail.inbound.tokens import personal_reply_resolve
from supportal.mail.models import InboundMessage, OutboundEmail
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import Role

_SUBJECT_REFERENCE = re.compile(r"\[?\b([A-Z][A-Z0-9]{0,15}-\d{1,9})\b\]?")


# --- Threading ------------------------------------------------------------------------------


def all_recipients(mail: ParsedMail, message: InboundMessage) -> list[str]:
    found = []
    for address in [*message.recipients, *mail.delivered_to, *mail.to, *mail.cc]:
        address = address.strip().strip("<>").lower()
        if address and address not in found:
            found.append(address)
    return found


def desk_for(mail: ParsedMail, message: InboundMessage) -> Desk | None:
    for address in all_recipients(mail, message):
        desk = served_address(address)
        if desk is not None:
            return desk
    desks = Desk.objects.filter(is_active=True)
    if message.mailbox:
        desk = desks.filter(key=message.mailbox.upper()).first()
        if desk is not None:
            return desk
    # The default mailbox: the first desk that has one.
    return desks.exclude(email_address="").order_by("pk").first()


@dataclass(frozen=True)
class Thread:
    """The request a message answers, how it was found, and the person whose personal reply
    address it came to (None: a shared address, or found otherwise)."""

    ticket: Ticket | None
    how: str = ""
    token_user: User | None = None


def thread_find(mail: ParsedMail, message: InboundMessage) -> Thread:
    for address in all_recipients(mail, message):
        if "+" in address.split("@", 1)[0] and served_address(address) is not None:
            personal = personal_reply_resolve(address)
            if personal is not None:
                return Thread(personal.ticket, "its personal reply address", personal.user)
            ticket = reply_address_ticket(address)
            if ticket is not None:
                return Thread(ticket, "its reply address")
    ids = [*mail.in_reply_to, *reversed(mail.references)]
    if ids:
        outbound = (
            OutboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if outbound is not None:
            return Thread(outbound.ticket, "In-Reply-To/References")
        root = re.compile(rf"^<ticket-(\d+)@{re.escape(settings.SUPPORTAL_MAIL_DOMAIN)}>$", re.I)
        for message_id in ids:
            found = root.match(message_id)
            if found:
                ticket = Ticket.objects.filter(pk=int(found.group(1))).first()
                if ticket is not None:
                    return Thread(ticket, "References")
    ticket = subject_ticket(mail)
    if ticket is not None:
        return Thread(ticket, "the reference in the subject")
    return Thread(None)


def subject_ticket(mail: ParsedMail) -> Ticket | None:
    references = _SUBJECT_REFERENCE.findall(mail.subject.upper())
    if not references:
        return None
    return ticket_by_references(references)


def may_write(user: User, ticket: Ticket, sender: str) -> bool:
    if not user.is_active:
        return False
    roles = ticket_roles(user, ticket) - {Role.SYSTEM}
    return bool(roles)
