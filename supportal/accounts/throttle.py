"""Log-in throttling: failed log-ins for an account, or from an address, are slowed down and then
locked for a while; the lock ends by itself; a successful log-in clears the account's count.

Counters live in Django's cache (Redis when ``REDIS_URL`` is set, so every process shares them;
otherwise the process's memory). Deciding and counting are one step under a cache mutex
(``cache.add``, atomic in every backend): an attempt is counted as a failure *before* its slow
password check and given back when it succeeds, so parallel guesses cannot all be checked
before one of them is counted (docs/security.md). A refused attempt never checks the password
and is not counted, so a lock ends on time even while someone keeps trying. Every function takes
``now`` so tests control the clock.

Why not django-axes (8.x supports Django 5.2): with both the user name and the address as lock
keys, its reset-on-success deletes every failure from that address, so anyone with an account
(open sign-up gives one) could clear the count against someone else's account by logging in to
their own between guesses; and it has no slowing-down step before the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import ngettext

from supportal.core.network import client_ip as client_ip  # re-exported

MUTEX_TIMEOUT_SECONDS = 10  # a crashed holder's mutex expires by itself
MUTEX_WAIT_SECONDS = 5


@dataclass(frozen=True)
class ThrottleRule:
    slow_after: int  # failures after which each attempt must wait a growing delay
    first_delay: timedelta  # the first such wait; it doubles with each further failure
    max_delay: timedelta
    lock_after: int  # failures that lock
    lock_duration: timedelta  # the first lock; each later lock (before forgetting) doubles
    max_lock_duration: timedelta
    memory_duration: timedelta  # failures are forgotten this long after the last one


ACCOUNT_RULE = ThrottleRule(
    slow_after=3,
    first_delay=timedelta(seconds=10),
    max_delay=timedelta(minutes=1),
    lock_after=5,
    lock_duration=timedelta(minutes=15),
    max_lock_duration=timedelta(hours=24),
    memory_duration=timedelta(hours=24),
)
# An office behind one address has many people: a wider margin before it is slowed.
ADDRESS_RULE = ThrottleRule(
    slow_after=10,
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(minutes=1),
    lock_after=30,
    lock_duration=timedelta(minutes=15),
    max_lock_duration=timedelta(hours=24),
    memory_duration=timedelta(hours=24),
)


@dataclass(frozen=True)
class Refusal:
    until: datetime
    is_locked: bool  # False: only slowed down

    def message(self, now: datetime | None = None) -> str:
        remaining_seconds = max(1, math.ceil((self.until - (now or _now())).total_seconds()))
        if self.is_locked:
            minutes = math.ceil(remaining_seconds / 60)
            return ngettext(
                "Too many failed log-ins. Logging in is locked for %(minutes)d more minute; "
                "the lock ends by itself. If you have forgotten your password, use "
                "“Forgot your password?”.",
                "Too many failed log-ins. Logging in is locked for %(minutes)d more minutes; "
                "the lock ends by itself. If you have forgotten your password, use "
                "“Forgot your password?”.",
                minutes,
            ) % {"minutes": minutes}
        return ngettext(
            "Too many failed log-ins. Wait %(seconds)d second, then try again.",
            "Too many failed log-ins. Wait %(seconds)d seconds, then try again.",
            remaining_seconds,
        ) % {"seconds": remaining_seconds}


def _now() -> datetime:
    # One place for the clock, so a test can move it.
    return timezone.now()


def email_identity(email: str) -> str:
    return "email:" + email.strip().lower()


def company_identity(registration_number: str) -> str:
    return "company:" + "".join(registration_number.split()).upper()


def _cache_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()
    return f"supportal:login-throttle:{digest}"


def _keys(identity: str | None, ip: str | None) -> list[tuple[str, ThrottleRule]]:
    keys = []
    if identity:
        keys.append((_cache_key("identity", identity), ACCOUNT_RULE))
    if ip:
        keys.append((_cache_key("ip", ip), ADDRESS_RULE))
    return keys


def _state(key: str, rule: ThrottleRule, now: datetime) -> dict:
    state = cache.get(key)
    if not state or now.timestamp() - state["last_failure"] > rule.memory_duration.total_seconds():
        return {"failures": 0, "lockouts": 0, "last_failure": 0.0, "blocked_until": 0.0}
    return state


def login_refusal(
    *, identity: str | None, ip: str | None, now: datetime | None = None
) -> Refusal | None:
    """Whether an attempt to log in as ``identity`` from ``ip`` must be refused now, and until
    when. No side effects."""
    now = now or _now()
    return _refusal([(_state(key, rule, now), rule) for key, rule in _keys(identity, ip)], now)


def _refusal(states: list[tuple[dict, ThrottleRule]], now: datetime) -> Refusal | None:
    refusal = None
    for state, rule in states:
        if state["blocked_until"] > now.timestamp():
            candidate = Refusal(
                until=datetime.fromtimestamp(state["blocked_until"], tz=now.tzinfo),
                is_locked=state["failures"] >= rule.lock_after,
            )
            if refusal is None or candidate.until > refusal.until:
                refusal = candidate
    return refusal


@contextmanager
def _locked(keys: list[str]) -> Iterator[None]:
    """Hold the cache's mutexes of ``keys`` (always taken in the same order: no deadlock).
    ``cache.add`` is atomic in every cache backend (Redis: SET NX), so parallel requests —
    in one process or many sharing Redis — read and write a counter one at a time."""
    token = uuid.uuid4().hex
    held: list[str] = []
    try:
        for key in sorted(keys):
            mutex = f"{key}:mutex"
            deadline = time.monotonic() + MUTEX_WAIT_SECONDS
            while not cache.add(mutex, token, timeout=MUTEX_TIMEOUT_SECONDS):
                if time.monotonic() > deadline:
                    raise ThrottleBusy
                time.sleep(0.002)
            held.append(mutex)
        yield
    finally:
        for mutex in held:
            if cache.get(mutex) == token:
                cache.delete(mutex)


class ThrottleBusy(Exception):
    """The counters stayed locked too long (a flood): the attempt is refused unchecked."""


def _count_failure(state: dict, rule: ThrottleRule, now: datetime) -> dict:
    if state["failures"] >= rule.lock_after:
        # The previous lock has ended: a new round of attempts, remembering the lock.
        state["failures"] = 0
    state["failures"] += 1
    state["last_failure"] = now.timestamp()
    if state["failures"] >= rule.lock_after:
        state["lockouts"] += 1
        duration = min(rule.lock_duration * 2 ** (state["lockouts"] - 1), rule.max_lock_duration)
        state["blocked_until"] = (now + duration).timestamp()
    elif state["failures"] >= rule.slow_after:
        delay = min(rule.first_delay * 2 ** (state["failures"] - rule.slow_after), rule.max_delay)
        state["blocked_until"] = (now + delay).timestamp()
    else:
        state["blocked_until"] = 0.0
    return state


def _save(key: str, state: dict, rule: ThrottleRule) -> None:
    timeout = rule.memory_duration + rule.max_lock_duration
    cache.set(key, state, timeout=int(timeout.total_seconds()))


@dataclass(frozen=True)
class Reservation:
    """An attempt counted as a failure before its password is checked (see ``login_attempt``)."""

    identity: str | None
    ip: str | None
    before: dict[str, dict]  # each key's state before the attempt, to undo it on success


def login_attempt_reserve(
    *, identity: str | None, ip: str | None, now: datetime | None = None
) -> Reservation | Refusal:
    """Decide and count in one step: refuse the attempt (``Refusal``), or count it as a failure
    *before* the slow password check (``Reservation``), so that parallel guesses cannot all pass
    the check before any of them is counted. ``login_success_record`` gives the count back.
    Side effects: the cache."""
    now = now or _now()
    keys = _keys(identity, ip)
    try:
        with _locked([key for key, _rule in keys]):
            states = {key: _state(key, rule, now) for key, rule in keys}
            refusal = _refusal([(states[key], rule) for key, rule in keys], now)
            if refusal is not None:
                return refusal
            for key, rule in keys:
                _save(key, _count_failure(dict(states[key]), rule, now), rule)
    except ThrottleBusy:
        return Refusal(until=now + timedelta(seconds=1), is_locked=False)
    return Reservation(identity=identity, ip=ip, before=states)


def login_failure_record(
    *, identity: str | None, ip: str | None, now: datetime | None = None
) -> None:
    """Count a failed log-in against the identity and the address (one that was not reserved
    with ``login_attempt_reserve``). Side effects: updates the cache; may start a wait or a
    lock."""
    now = now or _now()
    keys = _keys(identity, ip)
    with contextlib.suppress(ThrottleBusy), _locked([key for key, _rule in keys]):
        for key, rule in keys:
            _save(key, _count_failure(_state(key, rule, now), rule, now), rule)


def login_success_record(*, identity: str, reservation: Reservation | None = None) -> None:
    """Forget the failures against ``identity`` (not those from the address: a person logging in
    to their own account must not clear what their address did to other accounts — only the
    attempt the reservation counted against the address is given back)."""
    cache.delete(_cache_key("identity", identity))
    if reservation is None or not reservation.ip:
        return
    key, rule = _cache_key("ip", reservation.ip), ADDRESS_RULE
    with contextlib.suppress(ThrottleBusy), _locked([key]):
        state = _state(key, rule, _now())
        before = reservation.before.get(key)
        if before is None or state["failures"] == 0:
            return
        if state["failures"] >= rule.lock_after and before["failures"] < rule.lock_after:
            state["lockouts"] = before["lockouts"]  # our own attempt locked it: undone
        state["failures"] -= 1
        if state["failures"] < rule.slow_after or state["failures"] == before["failures"]:
            state["blocked_until"] = before["blocked_until"]
        _save(key, state, rule)


def login_unlock(*, identity: str | None = None, ip: str | None = None) -> None:
    """End a lock at once (support staff, after verifying who asks). Side effects: the cache."""
    for key, _rule in _keys(identity, ip):
        cache.delete(key)


# --- Mail the account forms send (sign-up, password reset, invitations) ---------------------

# Per hour and kind of mail: from one client address (or one inviting customer admin), and in
# all. Past a cap the forms answer as always, and the mail is not sent (docs/security.md).
ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = 10
ACCOUNT_MAILS_PER_HOUR = 200


def account_mail_budget_take(kind: str, *, ip: str | None, now: datetime | None = None) -> bool:
    """Take one mail of ``kind`` from the hourly budgets of ``ip`` and of everyone: False when
    one is spent. Atomic (``cache.add`` then ``cache.incr``). Side effect: the cache."""
    hour = int((now or _now()).timestamp() // 3600)
    budgets = [(f"all:{kind}", ACCOUNT_MAILS_PER_HOUR)]
    if ip:
        budgets.append((f"ip:{kind}:{ip}", ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR))
    allowed = True
    for scope, limit in budgets:
        key = _cache_key("mail-budget", f"{scope}:{hour}")
        cache.add(key, 0, timeout=3600 + 60)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr: a new hour
            cache.add(key, 1, timeout=3600 + 60)
            used = 1
        allowed = allowed and used <= limit
    return allowed


def api_budget_take(
    token_prefix: str, *, per_minute: int, now: datetime | None = None
) -> tuple[bool, int, int]:
    """Take one request from the token's budget of this minute (docs/api.md#limits).

    Returns (allowed, remaining, seconds until the budget refills). Atomic like the mail budget
    (``cache.add`` then ``cache.incr``), shared by every process when the cache is Redis.
    """
    moment = (now or _now()).timestamp()
    minute = int(moment // 60)
    key = _cache_key("api-budget", f"{token_prefix}:{minute}")
    cache.add(key, 0, timeout=60 + 10)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: a new minute
        cache.add(key, 1, timeout=60 + 10)
        used = 1
    reset = max(1, 60 - int(moment % 60))
    return used <= per_minute, max(per_minute - used, 0), reset
