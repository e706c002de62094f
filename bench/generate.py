"""Fill an empty, migrated Supportal database with a realistic support history.

Usage (from the repository root; the database is the one DATABASE_URL names)::

    .venv/bin/python -m bench.generate --size 100k
    .venv/bin/python -m bench.generate --size 10k --tickets 20000 --comments 6 --open-share 0.3

Companies, people, desks, products, priorities and SLA policies are written through the ORM
(a few thousand rows). Tickets and everything that hangs off them -- comments (public and
internal), events (the timeline), participants, attachments, SLA clocks and their entries, and
search documents -- are written in bulk: PostgreSQL COPY from several processes with the
secondary indexes dropped during the load and rebuilt after, SQLite executemany in one
transaction per chunk. Every row is what the services would have written for the same story:
``tests/test_generate.py`` replays the generated events through the SLA engine and rebuilds the
search documents, and compares. See docs/performance.md.

Deliberate simplifications: the SLA policies use a 24/7 calendar (business-hours arithmetic for
four million clock entries would dominate the load time); notifications, outgoing mail and
SLA warning/breach events of the past are not generated (the generated clocks are marked as
already announced, as ``sla_backfill`` does); attachment rows point at files that are not on
disk; comment, event and clock ids are dense per ticket but have gaps between tickets.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import json
import math
import multiprocessing
import os
import random
import shutil
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

# Id blocks per ticket: a ticket's n-th comment is ticket_id * COMMENT_BLOCK + n, and so on.
COMMENT_BLOCK = 100
EVENT_BLOCK = 200
CLOCK_BLOCK = 4
ENTRY_BLOCK = 16
ATTACHMENT_BLOCK = 4
PARTICIPANT_BLOCK = 4
MAX_COMMENTS = 60

# Instants are whole microseconds since the epoch (ints): exact, as the database stores them.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
US = 1_000_000
DAY = 86_400 * US
MICRO = dt.timedelta(microseconds=1)

BENCH_PASSWORD = "Bench-2026-password"  # noqa: S105 - known log-ins of a generated database


@dataclass(frozen=True)
class Spec:
    tickets: int
    companies: int
    customers: int
    agents: int
    desks: int
    comments: float = 4.0  # mean per ticket
    attachments: float = 0.1  # share of tickets with an attachment
    participants: float = 0.05  # share of tickets shared with a colleague
    open_share: float = 0.25
    skew: float = 1.1  # Zipf exponent of company sizes: a few big companies, many small
    years: float = 3.0  # how far back the history goes
    seed: int = 12
    chunk: int = 5_000


SIZES = {
    "10k": Spec(tickets=10_000, companies=30, customers=300, agents=10, desks=3),
    "100k": Spec(tickets=100_000, companies=300, customers=3_000, agents=30, desks=5),
    "1m": Spec(tickets=1_000_000, companies=3_000, customers=30_000, agents=100, desks=10),
}

# The log-ins the runner uses (all with BENCH_PASSWORD).
LOGIN_CUSTOMER = "customer@bench.example"  # a few dozen requests of their own
LOGIN_COMPANY_ADMIN = "company.admin@bench.example"  # customer admin of the biggest company
LOGIN_AGENT = "agent@bench.example"  # agent of every desk
LOGIN_LEAD = "lead@bench.example"  # team lead of every desk
LOGIN_ADMIN = "admin@bench.example"  # superuser
CUSTOMER_TICKETS = 36

PRIORITIES = (  # name, rank, share, first response, resolution
    ("Urgent", 40, 0.05, dt.timedelta(hours=1), dt.timedelta(hours=8)),
    ("High", 30, 0.20, dt.timedelta(hours=4), dt.timedelta(hours=24)),
    ("Normal", 20, 0.60, dt.timedelta(hours=8), dt.timedelta(days=3)),
    ("Low", 10, 0.15, dt.timedelta(days=1), dt.timedelta(days=7)),
)
REQUEST_TYPES = ("Question", "Bug", "Configuration", "Development", "Modification")
OPEN_MIX = (  # status, share among open tickets
    ("waiting_for_support", 0.35),
    ("in_progress", 0.30),
    ("waiting_for_customer", 0.25),
    ("waiting_for_third_party", 0.10),
)
WARNING_LEAD = dt.timedelta(minutes=10)  # DEFAULT_WARNING_LEAD_DURATION: no desk settings rows


@dataclass
class World:
    """The reference rows the ticket workers need, as plain data (sent to worker processes)."""

    vendor: str
    now: int
    start: int
    spec: Spec
    desks: list[tuple[int, str, int]] = field(default_factory=list)  # id, key, auto-close days
    desk_agents: dict[int, list[int]] = field(default_factory=dict)
    desk_types: dict[int, list[int]] = field(default_factory=dict)
    products: list[int] = field(default_factory=list)
    priorities: list[tuple[int, float, int, int]] = field(default_factory=list)
    policy_of_priority: dict[int, int] = field(default_factory=dict)
    rank_of_priority: dict[int, int] = field(default_factory=dict)
    calendar_id: int = 0
    customers: list[tuple[int, int | None, str]] = field(default_factory=list)
    colleagues: dict[int, list[int]] = field(default_factory=dict)
    demo_customer: int = 0
    desk_of_ticket: bytes = b""
    agents: set[int] = field(default_factory=set)


# Values as each backend stores them ----------------------------------------------------------


class Format:
    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.true, self.false = (True, False) if vendor == "postgresql" else (1, 0)
        self.zone = "+00:00" if vendor == "postgresql" else ""
        self.dates: dict[int, str] = {}

    def ts(self, micros: int | None) -> str | None:
        if micros is None:
            return None
        # Hot path (several instants per row): the date part is computed once per day.
        day, rest = divmod(micros, DAY)
        date = self.dates.get(day)
        if date is None:
            date = self.dates[day] = (EPOCH + dt.timedelta(days=day)).strftime("%Y-%m-%d")
        seconds, fraction = divmod(rest, US)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{date} {hours:02d}:{minutes:02d}:{seconds:02d}.{fraction:06d}{self.zone}"

    def duration(self, micro: int | None) -> str | int | None:
        if micro is None:
            return None
        if self.vendor == "postgresql":
            return f"{micro // 1_000_000}.{micro % 1_000_000:06d} seconds"
        return micro


# The story of one ticket ---------------------------------------------------------------------


class Chunk:
    """The rows of a range of tickets, table by table, in the column order of COLUMNS."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}


COLUMNS = {
    "tickets_ticket": [
        "id",
        "desk_id",
        "number",
        "reference",
        "summary",
        "details",
        "product_id",
        "request_type_id",
        "priority_id",
        "priority_rank",
        "requester_id",
        "organization_id",
        "assignee_id",
        "status",
        "waiting_reason",
        "waiting_on",
        "submission_method",
        "contact_phone",
        "contact_email",
        "custom_fields",
        "resolution",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "auto_close_at",
    ],
    "tickets_comment": ["id", "ticket_id", "author_id", "body", "is_public", "via", "created_at"],
    "tickets_event": [
        "id",
        "ticket_id",
        "kind",
        "actor_id",
        "comment_id",
        "is_public",
        "data",
        "created_at",
        "origin",
    ],
    "tickets_participant": ["id", "ticket_id", "user_id", "added_by_id", "created_at"],
    "tickets_attachment": [
        "id",
        "ticket_id",
        "comment_id",
        "uploaded_by_id",
        "file",
        "file_name",
        "content_type",
        "size",
        "is_internal",
        "created_at",
    ],
    "sla_clock": [
        "id",
        "ticket_id",
        "goal",
        "policy_id",
        "calendar_id",
        "target_duration",
        "state",
        "pause_reason",
        "started_at",
        "running_since",
        "used_duration",
        "stopped_at",
        "deadline_at",
        "warn_at",
        "is_breached",
        "is_warning_recorded",
        "is_breach_recorded",
        "next_due_at",
        "updated_at",
    ],
    "sla_clockentry": ["id", "clock_id", "kind", "reason", "event_id", "data", "at"],
    "search_searchdocument": ["ticket_id", "public_text", "internal_text", "updated_at"],
}


def _reach(intervals: list[tuple[int, int | None]], amount: int) -> int | None:
    """clock.instant_used_reaches on a 24/7 calendar."""
    counted = 0
    for start, end in intervals:
        candidate = start + (amount - counted)
        if end is None or candidate < end:
            return candidate
        counted += end - start
    return None


def clock_fields(entries: list[tuple], target: int, now: int) -> dict:
    """sla.services._clock_derive on a 24/7 calendar, then what sla_backfill marks as announced.

    ``entries``: (kind, at, reason, data) in time order; instants and ``target`` in
    microseconds.
    """
    intervals: list[tuple[int, int | None]] = []
    running_since = None
    state_entry = entries[0]
    for entry in entries:
        kind, at = entry[0], entry[1]
        if kind in ("start", "resume"):
            if running_since is None:
                running_since = at
            state_entry = entry
        elif kind in ("pause", "stop"):
            if running_since is not None:
                intervals.append((running_since, at))
                running_since = None
            state_entry = entry
    if running_since is not None:
        intervals.append((running_since, None))
    kind = state_entry[0]
    if kind == "pause":
        state, pause_reason = "paused", state_entry[2]
    elif kind == "stop":
        state, pause_reason = state_entry[3].get("outcome", "met"), ""
    else:
        state, pause_reason = "running", ""
    is_stopped = state in ("met", "stopped")
    is_running = bool(intervals) and intervals[-1][1] is None
    closed = intervals[:-1] if is_running else intervals
    at = entries[-1][1]
    deadline = _reach(intervals, target)
    lead = WARNING_LEAD // dt.timedelta(microseconds=1)
    warn = _reach(intervals, target - lead) if is_running and target > lead else None
    # Running: breached once the deadline has passed; paused or stopped: when it has one.
    is_breached = deadline is not None and (deadline < at or not is_running)
    warning_recorded = breach_recorded = False
    next_due = _next_due(state, warn, deadline, is_breached, warning_recorded, breach_recorded)
    if next_due is not None and next_due < now:
        warning_recorded = warn is not None and warn < now
        breach_recorded = is_breached or (deadline is not None and deadline < now)
        next_due = _next_due(state, warn, deadline, is_breached, warning_recorded, breach_recorded)
    return {
        "state": state,
        "pause_reason": pause_reason,
        "running_since": intervals[-1][0] if is_running else None,
        "used": sum(end - start for start, end in closed),
        "stopped_at": state_entry[1] if is_stopped else None,
        "deadline_at": deadline,
        "warn_at": warn,
        "is_breached": is_breached,
        "is_warning_recorded": warning_recorded,
        "is_breach_recorded": breach_recorded,
        "next_due_at": next_due,
        "updated_at": at,
    }


def _next_due(state, warn, deadline, is_breached, warning_recorded, breach_recorded):
    due = []
    if state == "running" and warn is not None and not warning_recorded:
        due.append(warn)
    if deadline is not None and not breach_recorded and (state == "running" or is_breached):
        due.append(deadline)
    return min(due, default=None)


class TicketWriter:
    """Builds one ticket's rows, the way tickets.services would have written them."""

    def __init__(self, world: World, fmt: Format, pool, chunk: Chunk, rng: random.Random):
        self.w, self.f, self.pool, self.c, self.rng = world, fmt, pool, chunk, rng
        from supportal.search.text import search_words

        self.search_words = search_words
        self.priority_cum = []
        total = 0.0
        for _pk, share, _fr, _res in world.priorities:
            total += share
            self.priority_cum.append(total)

    def _priority(self):
        index = bisect.bisect_left(self.priority_cum, self.rng.random() * self.priority_cum[-1])
        return self.w.priorities[min(index, len(self.w.priorities) - 1)]

    def write(self, ticket_id: int, desk_index: int, number: int, created: int, f: float):
        rng, w, fmt = self.rng, self.w, self.f
        T, F = fmt.true, fmt.false
        desk_id, key, auto_close_days = w.desks[desk_index]
        agents = w.desk_agents[desk_id]
        if ticket_id in self.demo_ticket_ids:
            requester, organization, email = w.customers[0]
        else:
            requester, organization, email = w.customers[rng.randrange(1, len(w.customers))]
        priority_id, _share, first_response, resolution_target = self._priority()
        method = rng.choices(("portal", "email", "phone"), (70, 20, 10))[0]
        creator = requester if method != "phone" else rng.choice(agents)
        now = w.now
        # Open tickets are the recent ones: the chance rises over the last 1.5 x share.
        window = min(1.0, 1.5 * w.spec.open_share)
        age = (f - (1.0 - window)) / window
        is_open = age > 0 and rng.random() < math.sqrt(age)
        if is_open:
            status = rng.choices([s for s, _ in OPEN_MIX], [p for _, p in OPEN_MIX])[0]
        else:
            status = rng.choices(("closed", "cancelled"), (95, 5))[0]
        life = int(min(max(rng.expovariate(1 / (3 * DAY)), DAY // 48), 60 * DAY))
        end = min(created + life, created + (now - created) * 95 // 100)
        # Resolved, then closed automatically auto_close_days later: if that lies ahead, the
        # ticket is still resolved.
        if status == "closed" and end + auto_close_days * DAY >= now - 60 * US:
            status = "resolved"
        taken = status != "waiting_for_support" and not (
            status == "cancelled" and rng.random() < 0.5
        )
        n_comments = 0
        if status != "waiting_for_support":
            # 1.15: requests nobody took yet have at most one comment; the mean stays as asked.
            mean = 1.15 * w.spec.comments
            n_comments = min(MAX_COMMENTS - 2, int(rng.expovariate(1 / mean) + 0.5))
        elif rng.random() < 0.3:
            n_comments = 1  # the customer adds something while nobody has taken it yet
        steps = sorted(rng.randint(created, end) for _ in range(n_comments + 3))

        summary = self.pool.summary(rng)
        details, details_words = self.pool.paragraph(rng, 1, 4)
        reference = f"{key}-{number}"
        public_words = [" ".join(self.search_words(reference)), summary.words]
        public_words.append(" ".join(self.search_words(email)))
        public_words.append(details_words)
        internal_words: list[str] = []
        ticket = {
            "assignee": None,
            "status": "waiting_for_support",
            "waiting_reason": "",
            "waiting_on": "",
            "resolution": "",
            "resolved_at": None,
            "closed_at": None,
            "auto_close_at": None,
            "updated_at": created,
        }
        comments, events, entries = self.c.rows["tickets_comment"], self.c.rows["tickets_event"], []
        comment_seq = [ticket_id * COMMENT_BLOCK]
        event_seq = [ticket_id * EVENT_BLOCK]
        clocks = {
            "first_response": [],
            "resolution": [],
        }  # entries: (kind, at, reason, data, event)

        def event(kind, actor, at, *, comment=None, is_public=True, **data):
            event_id = event_seq[0]
            event_seq[0] += 1
            events.append(
                (
                    event_id,
                    ticket_id,
                    kind,
                    actor,
                    comment,
                    T if is_public else F,
                    json.dumps(data, separators=(",", ":")) if data else "{}",
                    fmt.ts(at),
                    "",  # origin: generated events stand alone (no inbound mail)
                )
            )
            return event_id

        def comment(author, at, *, is_public, text=None):
            if text is None:
                text, words = self.pool.paragraph(rng, 1, 3)
            else:
                text, words = text
            comment_id = comment_seq[0]
            comment_seq[0] += 1
            via = "email" if method == "email" and author == requester else "portal"
            comments.append(
                (comment_id, ticket_id, author, text, T if is_public else F, via, fmt.ts(at))
            )
            (public_words if is_public else internal_words).append(words)
            event("commented", author, at, comment=comment_id, is_public=is_public)
            ticket["updated_at"] = at
            return comment_id

        def move(goal, kind, at, reason, event_id, **data):
            clocks[goal].append((kind, at, reason, data, event_id))

        def status_change(actor, at, action, target, *, comment_id=None, **data):
            source = ticket["status"]
            event_id = event(
                "status_changed",
                actor,
                at,
                comment=comment_id,
                action=action,
                from_status=source,
                to_status=target,
                **data,
            )
            ticket["status"] = target
            ticket["updated_at"] = at
            if target in ("closed", "cancelled"):
                ticket["closed_at"] = at
            fr_stopped = clocks["first_response"][-1][0] == "stop"
            res_stopped = clocks["resolution"][-1][0] == "stop"
            if not fr_stopped and target in ("closed", "cancelled"):
                move("first_response", "stop", at, action, event_id, outcome="stopped")
            if target == "resolved" and not res_stopped:
                move("resolution", "stop", at, action, event_id, outcome="met")
            elif target in ("closed", "cancelled") and not res_stopped:
                move("resolution", "stop", at, action, event_id, outcome="stopped")
            elif target in ("waiting_for_customer", "waiting_for_third_party"):
                move("resolution", "pause", at, target, event_id, action=action)
            return event_id

        # Created (tickets.services.ticket_create): the event, participants, attachments.
        created_event = event(
            "created", creator, created, status="waiting_for_support", submission_method=method
        )
        move("first_response", "start", created, "created", created_event)
        move("resolution", "start", created, "created", created_event)
        colleagues = w.colleagues.get(organization or 0, ())
        if len(colleagues) > 1 and rng.random() < w.spec.participants:
            person = rng.choice(colleagues)
            if person != requester:
                self.c.rows["tickets_participant"].append(
                    (ticket_id * PARTICIPANT_BLOCK, ticket_id, person, creator, fmt.ts(created))
                )
                event("participant_added", creator, created, user_id=person)
        if rng.random() < w.spec.attachments:
            attachment_id = ticket_id * ATTACHMENT_BLOCK
            name = rng.choice(("screenshot.png", "export.csv", "factura.pdf", "log.txt"))
            self.c.rows["tickets_attachment"].append(
                (
                    attachment_id,
                    ticket_id,
                    None,
                    creator,
                    f"attachments/{ticket_id}/{uuid.UUID(int=rng.getrandbits(128)).hex}/{name}",
                    name,
                    "application/octet-stream",
                    rng.randint(2_000, 900_000),
                    F,
                    fmt.ts(created),
                )
            )
            event("attachment_added", creator, created, attachment_id=attachment_id, file_name=name)

        step = iter(steps)
        if taken:
            agent = rng.choice(agents)
            at = next(step)
            ticket["assignee"] = agent
            assigned = event("assigned", agent, at, assignee_id=agent)
            move("first_response", "stop", at, "assigned", assigned, outcome="met")
            status_change(agent, at, "take", "in_progress")
        for _ in range(n_comments):
            at = next(step)
            if not taken:
                comment(requester, at, is_public=True)
                continue
            roll = rng.random()
            if roll < 0.4:
                comment(requester, at, is_public=True)
            else:
                comment(agent, at, is_public=roll < 0.85)
        at = next(step)
        if status == "waiting_for_customer":
            comment_id = comment(agent, at, is_public=True)
            ticket["waiting_reason"] = "information_needed"
            status_change(
                agent,
                at,
                "request_info",
                status,
                comment_id=comment_id,
                reason="information_needed",
            )
        elif status == "waiting_for_third_party":
            ticket["waiting_on"] = "Furnizorul EDI"
            status_change(agent, at, "wait_for_third_party", status)
        elif status in ("resolved", "closed"):
            text, words = self.pool.paragraph(rng, 1, 2)
            ticket["resolution"] = text
            ticket["resolved_at"] = at
            ticket["auto_close_at"] = at + auto_close_days * DAY
            public_words.insert(4, words)  # the search document: after details, before comments
            status_change(agent, at, "resolve", "resolved", resolution=text)
            if status == "closed":
                closed_at = at + auto_close_days * DAY
                ticket["auto_close_at"] = None
                status_change(None, closed_at, "close", "closed")
        elif status == "cancelled":
            status_change(requester, at, "cancel", "cancelled")

        self.c.rows["tickets_ticket"].append(
            (
                ticket_id,
                desk_id,
                number,
                reference,
                summary.text,
                details,
                rng.choice(w.products) if rng.random() < 0.8 else None,
                rng.choice(w.desk_types[desk_id]),
                priority_id,
                w.rank_of_priority[priority_id],
                requester,
                organization,
                ticket["assignee"],
                status,
                ticket["waiting_reason"],
                ticket["waiting_on"],
                method,
                "",
                "",
                "{}",
                ticket["resolution"],
                fmt.ts(created),
                fmt.ts(ticket["updated_at"]),
                fmt.ts(ticket["resolved_at"]),
                fmt.ts(ticket["closed_at"]),
                fmt.ts(ticket["auto_close_at"]),
            )
        )
        self.c.rows["search_searchdocument"].append(
            (ticket_id, " ".join(public_words), " ".join(internal_words), self.updated_now)
        )
        entry_id = ticket_id * ENTRY_BLOCK
        for goal_index, (goal, target) in enumerate(
            (("first_response", first_response), ("resolution", resolution_target))
        ):
            clock_id = ticket_id * CLOCK_BLOCK + goal_index
            moves = clocks[goal]
            derived = clock_fields(moves, target, now)
            for kind, at, reason, data, event_id in moves:
                entries.append(
                    (
                        entry_id,
                        clock_id,
                        kind,
                        reason,
                        event_id,
                        json.dumps(data, separators=(",", ":")) if data else "{}",
                        fmt.ts(at),
                    )
                )
                entry_id += 1
            self.c.rows["sla_clock"].append(
                (
                    clock_id,
                    ticket_id,
                    goal,
                    w.policy_of_priority[priority_id],
                    w.calendar_id,
                    fmt.duration(target),
                    derived["state"],
                    derived["pause_reason"],
                    fmt.ts(created),
                    fmt.ts(derived["running_since"]),
                    fmt.duration(derived["used"]),
                    fmt.ts(derived["stopped_at"]),
                    fmt.ts(derived["deadline_at"]),
                    fmt.ts(derived["warn_at"]),
                    T if derived["is_breached"] else F,
                    T if derived["is_warning_recorded"] else F,
                    T if derived["is_breach_recorded"] else F,
                    fmt.ts(derived["next_due_at"]),
                    fmt.ts(derived["updated_at"]),
                )
            )
        self.c.rows["sla_clockentry"].extend(entries)


def _chunk_rows(world: World, pool, index: int, first_id: int, last_id: int, numbers) -> Chunk:
    fmt = Format(world.vendor)
    chunk = Chunk()
    rng = random.Random(world.spec.seed * 1_000_003 + index)
    writer = TicketWriter(world, fmt, pool, chunk, rng)
    writer.updated_now = fmt.ts(world.now)
    writer.demo_ticket_ids = _demo_ticket_ids(world.spec)
    counters = list(numbers)
    n = world.spec.tickets
    span = world.now - world.start
    for ticket_id in range(first_id, last_id + 1):
        desk_index = world.desk_of_ticket[ticket_id - 1]
        counters[desk_index] += 1
        f = (ticket_id - 1 + rng.random()) / n
        writer.write(ticket_id, desk_index, counters[desk_index], world.start + int(span * f), f)
    return chunk


def _demo_ticket_ids(spec: Spec) -> frozenset[int]:
    # Spread over the last half of the history, so some are open and some closed.
    step = max(1, spec.tickets // 2 // CUSTOMER_TICKETS)
    return frozenset(spec.tickets - i * step for i in range(min(CUSTOMER_TICKETS, spec.tickets)))


# Writing chunks --------------------------------------------------------------------------------


def _copy_text(rows: list[tuple]) -> str:
    """COPY text format. Hot path: relies on what the generator writes -- the first column is
    never NULL, and no text holds a tab, a line break, a backslash or a field "None" (words.py
    checks its pool) -- so a row is joined as is and "None" fields become NULL afterwards.
    True and False are valid boolean input."""
    return "".join(["\t".join(map(str, row)) + "\n" for row in rows]).replace("\tNone", "\t\\N")


_worker: dict = {}


def _worker_init(world: World, conninfo: str) -> None:
    import psycopg

    from bench.words import text_pool

    connection = psycopg.connect(conninfo, autocommit=False)
    with connection.cursor() as cursor:
        # Foreign keys are not checked row by row: the generator writes consistent ids.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
    _worker.update(world=world, connection=connection, pool=text_pool(world.spec.seed))


def _worker_load(task) -> int:
    index, first_id, last_id, numbers = task
    world, connection = _worker["world"], _worker["connection"]
    chunk = _chunk_rows(world, _worker["pool"], index, first_id, last_id, numbers)
    with connection.cursor() as cursor:
        for table, rows in chunk.rows.items():
            if not rows:
                continue
            columns = ", ".join(COLUMNS[table])
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(_copy_text(rows))
    connection.commit()
    return last_id - first_id + 1


# Reference data through the ORM ----------------------------------------------------------------


def _zipf_sizes(total: int, buckets: int, skew: float, rng: random.Random) -> list[int]:
    weights = [1.0 / (rank + 1) ** skew for rank in range(buckets)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def reference_create(spec: Spec, now: dt.datetime) -> World:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from supportal.accounts.models import Organization, User
    from supportal.desks.models import (
        Desk,
        DeskMembership,
        DeskRole,
        Priority,
        Product,
        RequestType,
    )
    from supportal.sla.models import Calendar, Policy

    rng = random.Random(spec.seed)
    world = World(
        vendor=connection.vendor,
        now=(now - EPOCH) // dt.timedelta(microseconds=1),
        start=(now - dt.timedelta(days=365 * spec.years) - EPOCH) // dt.timedelta(microseconds=1),
        spec=spec,
    )
    password = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        calendar = Calendar.objects.create(
            name="24/7 (bench)", is_always_open=True, time_zone="Europe/Bucharest"
        )
        world.calendar_id = calendar.pk
        products = [
            Product.objects.create(name=name)
            for name in ("Tecnet Web", "Tecnet EDI", "Tecnet POS", "Tecnet Mobile", "Tecnet ERP")
        ]
        world.products = [p.pk for p in products]
        for name, rank, share, first_response, resolution in PRIORITIES:
            priority = Priority.objects.create(name=name, rank=rank, is_default=name == "Normal")
            policy = Policy.objects.create(
                name=f"{name} (bench)",
                priority=priority,
                calendar=calendar,
                first_response_duration=first_response,
                resolution_duration=resolution,
            )
            world.priorities.append(
                (priority.pk, share, first_response // MICRO, resolution // MICRO)
            )
            world.policy_of_priority[priority.pk] = policy.pk
            world.rank_of_priority[priority.pk] = priority.rank
        desks = []
        for index in range(spec.desks):
            desk = Desk.objects.create(
                name=f"Desk {index + 1}",
                key=f"D{index + 1}" if index else "HELP",
                email_address=f"desk{index + 1}@bench.example",
            )
            desk.products.set(products)
            types = [
                RequestType.objects.create(desk=desk, name=name, position=i)
                for i, name in enumerate(REQUEST_TYPES)
            ]
            world.desk_types[desk.pk] = [t.pk for t in types]
            world.desks.append((desk.pk, desk.key, desk.auto_close_days))
            desks.append(desk)

        def person(email, first, last, **fields):
            return User(
                email=email,
                password=password,
                first_name=first,
                last_name=last,
                date_joined=now - dt.timedelta(days=365 * spec.years),
                **fields,
            )

        staff = [
            person(LOGIN_ADMIN, "Ada", "Admin", is_superuser=True, is_staff=True),
            person(LOGIN_LEAD, "Elena", "Lead", is_agent=True),
            person(LOGIN_AGENT, "Bogdan", "Agent", is_agent=True),
        ]
        staff += [
            person(f"agent{i}@bench.example", "Agent", f"No. {i}", is_agent=True)
            for i in range(spec.agents - 2)
        ]
        User.objects.bulk_create(staff, batch_size=1000)
        staff = list(User.objects.filter(email__in=[u.email for u in staff]).order_by("pk"))
        by_email = {u.email: u for u in staff}
        memberships = []
        for desk in desks:
            members = [by_email[LOGIN_LEAD], by_email[LOGIN_AGENT]]
            others = [u for u in staff if u.email.startswith("agent") and u.email != LOGIN_AGENT]
            members += rng.sample(others, k=min(len(others), max(2, len(others) * 2 // spec.desks)))
            for user in members:
                role = DeskRole.TEAM_LEAD if user.email == LOGIN_LEAD else DeskRole.AGENT
                memberships.append(DeskMembership(desk=desk, user=user, role=role))
            world.desk_agents[desk.pk] = [u.pk for u in members if u.email != LOGIN_LEAD]
        DeskMembership.objects.bulk_create(memberships)
        world.agents = {u.pk for u in staff}

        companies = Organization.objects.bulk_create(
            [
                Organization(
                    name=f"Company {i + 1} SRL",
                    registration_number=f"RO{10_000_000 + i}",
                    shares_requests=i % 2 == 0,
                )
                for i in range(spec.companies)
            ],
            batch_size=1000,
        )
        companies = list(Organization.objects.order_by("pk"))
        # 5% of the customers are private persons; the rest spread over companies by a Zipf law.
        private = spec.customers // 20
        sizes = _zipf_sizes(spec.customers - private - 2, spec.companies, spec.skew, rng)
        # The demo customer belongs to a middle-sized company; the company admin to the biggest.
        middle = companies[min(len(companies) - 1, 5)]
        people = [
            person(LOGIN_CUSTOMER, "Cristina", "Client", organization=middle, language="ro"),
            person(
                LOGIN_COMPANY_ADMIN,
                "Andrei",
                "Admin",
                organization=companies[0],
                is_customer_admin=True,
            ),
        ]
        for company, size in zip(companies, sizes, strict=True):
            for n in range(size):
                people.append(
                    person(
                        f"c{company.pk}.{n}@company{company.pk}.example",
                        "Client",
                        f"{company.pk}-{n}",
                        organization=company,
                    )
                )
        for n in range(private):
            people.append(person(f"private{n}@mail.example", "Private", f"No. {n}"))
        User.objects.bulk_create(people, batch_size=2000)
    customers = list(
        User.objects.filter(is_agent=False, is_superuser=False)
        .order_by("pk")
        .values_list("pk", "organization_id", "email")
    )
    # The demo customer first: its tickets are chosen by id, the others drawn from the rest.
    customers.sort(key=lambda row: row[2] != LOGIN_CUSTOMER)
    world.customers = customers
    world.demo_customer = customers[0][0]
    for pk, organization, _email in customers:
        if organization:
            world.colleagues.setdefault(organization, []).append(pk)
    weights = [1.0] * len(desks)
    weights[0] = 3.0  # the main desk gets most requests
    world.desk_of_ticket = bytes(rng.choices(range(len(desks)), weights, k=spec.tickets))
    return world


# The load --------------------------------------------------------------------------------------

TABLES_WITH_SEQUENCES = (
    "tickets_ticket",
    "tickets_comment",
    "tickets_event",
    "tickets_participant",
    "tickets_attachment",
    "sla_clock",
    "sla_clockentry",
)


def _tasks(world: World) -> list[tuple]:
    spec = world.spec
    counters = [0] * len(world.desks)
    tasks = []
    for index, first in enumerate(range(1, spec.tickets + 1, spec.chunk)):
        last = min(spec.tickets, first + spec.chunk - 1)
        tasks.append((index, first, last, tuple(counters)))
        for desk_index in world.desk_of_ticket[first - 1 : last]:
            counters[desk_index] += 1
    world_counters = counters
    return tasks, world_counters


def _pg_secondary_indexes(cursor) -> list[tuple[str, str]]:
    tables = list(COLUMNS)
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relname = ANY(%s) AND NOT EXISTS (
               SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
        [tables],
    )
    return list(cursor.fetchall())


def columns_check() -> None:
    """The generator writes every column of its tables: a migration that adds one must be
    taught here first (a column left out would be NULL or fail)."""
    from django.apps import apps

    for model in apps.get_models():
        table = model._meta.db_table
        if table in COLUMNS:
            actual = {f.column for f in model._meta.concrete_fields}
            if actual != set(COLUMNS[table]):
                raise SystemExit(
                    f"bench/generate.py is out of date for {table}: "
                    f"{sorted(actual ^ set(COLUMNS[table]))}"
                )


def load(world: World, *, workers: int, log) -> None:
    from django.db import connection, transaction

    from bench.words import text_pool

    tasks, counters = _tasks(world)
    total = world.spec.tickets
    started = time.monotonic()
    done = 0
    if world.vendor == "postgresql":
        with connection.cursor() as cursor:
            indexes = _pg_secondary_indexes(cursor)
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        conninfo = _pg_conninfo(connection)
        connection.close()
        text_pool(world.spec.seed)  # built here once, inherited by every forked worker
        # The forked workers' garbage collector would walk (and so copy, page by page) every
        # object they inherit; frozen, it leaves them alone. Frozen for good: a test process has
        # frozen what its collection loaded, and unfreezing here would undo that (the workers of
        # a second run then cost 2 s of CPU each; docs/architecture.md, "Eighteenth round: the
        # pipeline").
        gc.freeze()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_worker_init, initargs=(world, conninfo)) as pool:
            for count in pool.imap_unordered(_worker_load, tasks):
                done += count
                log(f"  {done:>9,} tickets  {time.monotonic() - started:6.0f} s")
            # The workers are let finish and joined: leaving the block alone would terminate()
            # them, and a worker the pool starts again while it terminates can wait for ever
            # on the task queue's lock (a run of bench/tests/test_generate.py hung so).
            pool.close()
            pool.join()
        log(f"rebuilding {len(indexes)} indexes")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
            for name, definition in indexes:
                began = time.monotonic()
                cursor.execute(definition)
                log(f"  {name} {time.monotonic() - began:5.1f} s")
    else:
        pool = text_pool(world.spec.seed)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
        for task in tasks:
            index, first, last, numbers = task
            chunk = _chunk_rows(world, pool, index, first, last, numbers)
            with transaction.atomic(), connection.cursor() as cursor:
                for table, rows in chunk.rows.items():
                    if rows:
                        columns = COLUMNS[table]
                        marks = ", ".join("?" * len(columns))
                        cursor.executemany(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                            rows,
                        )
            done += last - first + 1
            log(f"  {done:>9,} tickets  {time.monotonic() - started:6.0f} s")
    _finish(world, counters, log)
    assert done == total


def _pg_conninfo(connection) -> str:
    from psycopg.conninfo import make_conninfo

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return make_conninfo(**{k: v for k, v in params.items() if isinstance(v, (str, int))})


def _finish(world: World, counters: list[int], log) -> None:
    from django.db import connection

    from supportal.desks.models import Desk

    for (desk_id, _key, _days), count in zip(world.desks, counters, strict=True):
        Desk.objects.filter(pk=desk_id).update(last_ticket_number=count)
    with connection.cursor() as cursor:
        if world.vendor == "postgresql":
            for table in TABLES_WITH_SEQUENCES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
        else:
            for table in TABLES_WITH_SEQUENCES:
                cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
                (highest,) = cursor.fetchone()
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [highest or 0, table]
                )
                if cursor.rowcount == 0:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                        [table, highest or 0],
                    )
    log("analyzing")
    began = time.monotonic()
    if world.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A fresh visibility map makes index-only scans possible, as on a database in use.
            cursor.execute("VACUUM (ANALYZE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")
    log(f"  {time.monotonic() - began:.1f} s")


def generate(spec: Spec, *, workers: int = 2, now: dt.datetime | None = None, log=print) -> World:
    """Fill the (empty, migrated) default database. Returns what was generated."""
    from django.utils import timezone

    from supportal.tickets.models import Ticket

    if Ticket.objects.exists():
        raise SystemExit("The database already has tickets: generate into an empty database.")
    columns_check()
    now = now or timezone.now()
    began = time.monotonic()
    world = reference_create(spec, now)
    log(f"reference data: {len(world.customers):,} customers, {len(world.desks)} desks")
    load(world, workers=workers, log=log)
    log(f"generated {spec.tickets:,} tickets in {time.monotonic() - began:.0f} s")
    return world


def database_recreate(log=print, migrated_from: Path | None = None) -> None:
    """Drop and create the default database (PostgreSQL) or delete its file (SQLite), then
    migrate: what ``make bench`` does before generating a size for the first time.

    ``migrated_from`` (SQLite only): the folder where the test suite keeps the database it
    migrates once per run for its child processes (``SUPPORTAL_TEST_CHILDREN_DIR``); the file is
    copied from there instead of migrating a second time, and made there first, under the
    suite's lock, if the suite has not made it yet (docs/architecture.md, "Seventeenth round:
    the pipeline")."""
    from django.core.management import call_command
    from django.db import connection

    settings = connection.settings_dict
    connection.close()
    if connection.vendor == "postgresql":
        import psycopg
        from psycopg.conninfo import make_conninfo

        name = settings["NAME"]
        maintenance = make_conninfo(_pg_conninfo(connection), dbname="postgres")
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings['NAME']}{suffix}").unlink(missing_ok=True)
        if migrated_from is not None:
            from config import pytest_databases

            migrated_from.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pytest_databases.child_sqlite(migrated_from), settings["NAME"])
            log(f"{settings['NAME']}: a copy of the migrated database in {migrated_from}")
            return
    log(f"migrating {settings['NAME']}")
    call_command("migrate", verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="10k")
    for name in ("tickets", "companies", "customers", "agents", "desks", "seed", "chunk"):
        parser.add_argument(f"--{name}", type=int)
    for name in ("comments", "attachments", "participants", "open-share", "skew", "years"):
        parser.add_argument(f"--{name}", type=float)
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL loader processes")
    parser.add_argument("--stamp", help="write the spec and timing as JSON to this file")
    parser.add_argument(
        "--fresh", action="store_true", help="drop and re-create the database, then migrate"
    )
    parser.add_argument(
        "--migrated-from",
        type=Path,
        metavar="DIR",
        help="with --fresh on SQLite: copy the migrated database the test suite keeps in DIR"
        " (SUPPORTAL_TEST_CHILDREN_DIR) instead of migrating again",
    )
    args = parser.parse_args(argv)
    overrides = {
        key: value
        for key, value in vars(args).items()
        if key in Spec.__dataclass_fields__ and value is not None
    }
    spec = replace(SIZES[args.size], **overrides)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-generator-not-a-secret")
    import django

    django.setup()
    began = time.monotonic()
    if args.fresh:
        database_recreate(migrated_from=args.migrated_from)
    generate(spec, workers=args.workers)
    if args.stamp:
        Path(args.stamp).parent.mkdir(parents=True, exist_ok=True)
        Path(args.stamp).write_text(
            json.dumps(
                {
                    "size": args.size,
                    "spec": asdict(spec),
                    "seconds": round(time.monotonic() - began),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
