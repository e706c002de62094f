"""Who has a ticket open, and who is writing on it: short-lived marks in the cache.

Each open ticket page reports every few seconds (workspace/static/workspace/ticket.js); a mark
older than ``PRESENCE_TTL_SECONDS`` is gone. The cache is shared by every process (Redis in
production), and nothing here is precious: a lost update only hides someone until their next
report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from supportal.accounts.models import User

# How often the page reports, and how long a report counts: a few missed reports are tolerated.
POLL_SECONDS = 10
PRESENCE_TTL_SECONDS = 35


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    is_typing: bool


def _key(ticket_id: int) -> str:
    return f"workspace:presence:{ticket_id}"


def presence_touch(*, ticket_id: int, user: User, is_typing: bool = False) -> bool:
    """Mark ``user`` as looking at (and maybe writing on) the ticket now. Side effect: cache.
    Returns whether others would see a difference (they arrived, or started or stopped
    writing): the live channel then tells the others' pages at once."""
    now = time.time()
    marks = {
        int(uid): mark
        for uid, mark in (cache.get(_key(ticket_id)) or {}).items()
        if now - mark[2] < PRESENCE_TTL_SECONDS
    }
    before = marks.get(user.pk)
    marks[user.pk] = (user.get_full_name() or user.email, bool(is_typing), now)
    cache.set(_key(ticket_id), marks, PRESENCE_TTL_SECONDS)
    return before is None or before[1] != bool(is_typing)


def presence_leave(*, ticket_id: int, user: User) -> bool:
    """Take ``user``'s mark away; whether there was one."""
    marks = cache.get(_key(ticket_id)) or {}
    if marks.pop(user.pk, None) is not None:
        cache.set(_key(ticket_id), marks, PRESENCE_TTL_SECONDS)
        return True
    return False


def presence_others(*, ticket_id: int, user: User) -> list[Presence]:
    """Everyone else who has the ticket open, those writing first."""
    now = time.time()
    others = [
        Presence(int(uid), name, is_typing)
        for uid, (name, is_typing, at) in (cache.get(_key(ticket_id)) or {}).items()
        if int(uid) != user.pk and now - at < PRESENCE_TTL_SECONDS
    ]
    return sorted(others, key=lambda p: (not p.is_typing, p.name))
