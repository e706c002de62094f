"""People named by a message: its sender as a customer, and those it was copied to."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError

from supportal.accounts.languages import language_detect
from supportal.accounts.models import User
from supportal.accounts.selectors import organization_for_email
from supportal.desks.models import Desk
from supportal.mail.content import ParsedMail
from supportal.mail.inbound.rows import user_by_address
from supportal.mail.inbound.store import served_address
from supportal.mail.quotes import reply_text
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import FINAL_STATUSES

# --- People ---------------------------------------------------------------------------------


def language_sample(mail: ParsedMail) -> str:
    """What the sender wrote, to tell their language by (docs/languages.md)."""
    return f"{mail.subject}\n{reply_text(mail.text)}"


def customer_for(
    address: str, *, name: str, now: datetime, desk: Desk | None, text: str = ""
) -> User:
    """The sender as a customer. Invited (docs/requirements.md#inbound-mail, M5) only when their
    domain is a known company's or the receiving desk invites every sender
    (``Desk.invite_all_senders``): spammers and forged senders receive nothing; others can use
    "Forgot your password?"."""
    from supportal.accounts.services import customer_register

    user = user_by_address(address)
    if user is not None:
        return user
    first, _sep, last = " ".join(name.split()).partition(" ")
    is_invited = (
        organization_for_email(address) is not None
        or (desk is not None and desk.invite_all_senders)
    ) and _can_be_written_to(address)
    try:
        # The invitation goes out in the language the mail was written in (docs/languages.md).
        return customer_register(
            email=address,
            invited_by=None,
            is_invited=is_invited,
            first_name=first,
            last_name=last if first else "",
            detected_language=language_detect(text),
            now=now,
        )
    except IntegrityError:
        # Another intake worker registered the same new sender (their first two mails taken
        # in at once) after our look-up: its savepoint is rolled back; theirs is the account
        # (docs/email.md, "Several workers").
        user = user_by_address(address)
        if user is None:
            raise
        return user


def _can_be_written_to(address: str) -> bool:
    """Real mail comes from addresses no invitation could go to ("user@localhost", bare
    names): such a sender is registered without one."""
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


# A mail copying a crowd must not spread a request to all of it.
COPIED_OUTSIDERS_MAX = 10


def copied_people(
    ticket: Ticket,
    mail: ParsedMail,
    sender: str,
    author: User | None,
    now: datetime,
    *,
    is_verified: bool = False,
):
    """People in To/Cc: the requester's colleagues become participants; so do people from
    outside when the desk shares with them and the requester's mail is verified
    (``tickets.services.participant_add_copied`` applies the rules); everyone else is
    returned, to be offered to agents."""
    from supportal.tickets.services import participant_add, participant_add_copied

    others = []
    for address in [*mail.to, *mail.cc]:
        if address == sender or served_address(address) is not None:
            continue
        person = user_by_address(address, is_active_only=True)
        if person is not None and (person.is_agent or person.is_superuser):
            continue  # the support team sees the request anyway
        if (
            person is not None
            and ticket.organization_id is not None
            and person.organization_id == ticket.organization_id
            and ticket.status not in FINAL_STATUSES
        ):
            if person.pk != ticket.requester_id and author is not None:
                participant_add(ticket=ticket, actor=author, person=person, now=now)
            continue
        others.append(address)
    if not (is_verified and author is not None and ticket.desk.shares_with_copied_outsiders):
        return others
    kept = []
    for number, address in enumerate(others):
        added = None
        if number < COPIED_OUTSIDERS_MAX:
            added = participant_add_copied(ticket=ticket, actor=author, email=address, now=now)
        if added is None:
            kept.append(address)
    return kept
