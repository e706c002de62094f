"""What inbound mail tells, and asks, the apps above it, through listener lists
(``core.listeners``) that those apps register with in their ``AppConfig.ready()``: the mail
layer imports none of them.

- ``bounce_listeners``: an address bounced for good (the notifications hold later mail to it).
- ``reply_address_listeners``: whose request a ``support+<token>@`` reply address is, for
  addresses the mail layer does not issue itself (the notifications' per-request address).
  A listener fills in ``ReplyAddressLookup.ticket`` when the token is its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supportal.core.listeners import ListenerList
from supportal.tickets.models import Ticket


@dataclass(frozen=True)
class HardBounce:
    email: str
    detail: str
    at: datetime


@dataclass
class ReplyAddressLookup:
    address: str
    ticket: Ticket | None = None


bounce_listeners: ListenerList[HardBounce] = ListenerList(
    "inbound hard bounces", order=("notifications",)
)
reply_address_listeners: ListenerList[ReplyAddressLookup] = ListenerList(
    "inbound reply addresses", order=("notifications",)
)


def reply_address_ticket(address: str) -> Ticket | None:
    """The request a reply address belongs to, as the listeners know it, or None."""
    lookup = ReplyAddressLookup(address=address)
    reply_address_listeners.notify(lookup)
    return lookup.ticket
