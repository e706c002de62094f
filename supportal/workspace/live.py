"""Live updates for the workspace: "ticket X changed" notices, announced after the commit.

Every ticket event (tickets/events.py) is told to :func:`live_event_record` inside the service's
transaction; it only asks for a notice once the transaction commits (``on_commit``), so nothing
that rolls back is ever announced. A notice carries no content — the desk, the ticket's
reference and the event's id — and the page that hears it fetches what changed through its
ordinary, permission-checked fragment request (docs/workspace.md, Live updates).

Two ways to hear notices, chosen by :func:`live_mode`:

- ``stream``: with ``REDIS_URL``, notices are published on a Redis channel; every web process
  holds one subscription (:class:`Hub`) and hands each notice to its open server-sent event
  streams (workspace/views/live.py), each filtered by the desks its agent works.
- ``poll``: without Redis, the page asks a cheap endpoint for the last event id of its desks
  (or its ticket) every ``POLL_SECONDS`` and fetches the fragment when it moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db import transaction

if TYPE_CHECKING:
    from supportal.tickets.models import Event

logger = logging.getLogger("supportal.live")

# The fallback's polling interval, and the stream's keep-alive comment (proxies close a
# connection that stays silent for a minute; a dead client is noticed at the next write).
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
# How long a stream trusts the desks read when it opened before reading them again.
DESKS_RECHECK_SECONDS = 60.0
# Notices waiting for one slow stream; beyond that it is told to fetch everything once.
QUEUE_SIZE = 64

Mode = Literal["stream", "poll"]


@dataclass(frozen=True)
class Notice:
    """What changed, without what it is: the page fetches that itself."""

    desk: int
    ticket: str  # the reference, as the page knows it
    id: int  # the event's id: the page ignores what it has already shown
    # "event": the ticket changed; "presence": who has it open or is writing changed (the
    # ticket page then sends its heartbeat at once, workspace/presence.py).
    what: str = "event"

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Notice | None:
        try:
            data = json.loads(text)
            what = str(data.get("what", "event"))
            return cls(
                desk=int(data["desk"]), ticket=str(data["ticket"]), id=int(data["id"]), what=what
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def live_mode() -> Mode:
    return "stream" if settings.REDIS_URL else "poll"


def channel_name() -> str:
    """Redis channels are shared by every database of a server: the name says whose they are."""
    configured: str = settings.SUPPORTAL_LIVE_CHANNEL
    if configured:
        return configured
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"supportal:live:{settings.REDIS_URL.rsplit('/', 1)[-1]}:{prefix}"


def subscriber_name(channel: str) -> str:
    """The Redis client name of a process's subscription to ``channel`` (CLIENT LIST)."""
    return "supportal-live-" + "".join(c if c.isalnum() else "-" for c in channel)


def may_hear(desks: set[int] | None, notice: Notice) -> bool:
    """An agent hears of the desks they work only (``None``: every desk, administrators)."""
    return desks is None or notice.desk in desks


# --- Publishing (any process: web, worker, SMTP listener) ----------------------------------

_publisher: Any = None


def _redis() -> Any:
    global _publisher
    if _publisher is None:
        import redis

        _publisher = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _publisher


def notices_publish(notices: Sequence[Notice]) -> None:
    """Publish after the commit. A failure is logged, never raised: the change is made, and
    the pages catch up at their next notice or reload."""
    if live_mode() != "stream" or not notices:
        return
    try:
        client = _redis()
        channel = channel_name()
        for notice in _latest_per_ticket(notices):
            client.publish(channel, notice.to_json())
    except Exception:
        logger.warning("live: could not publish %d notice(s)", len(notices), exc_info=True)


def presence_announce(ticket: Any) -> None:
    """Someone arrived on, left, or started or stopped writing on ``ticket``: its other open
    pages ask for the presence at once instead of at their next heartbeat (stream mode)."""
    notices_publish([Notice(desk=ticket.desk_id, ticket=ticket.reference, id=0, what="presence")])


def _latest_per_ticket(notices: Sequence[Notice]) -> list[Notice]:
    latest: dict[str, Notice] = {}
    for notice in notices:
        if notice.ticket not in latest or latest[notice.ticket].id < notice.id:
            latest[notice.ticket] = notice
    return list(latest.values())


def _notice_of(event: Event) -> Notice:
    ticket = event.ticket
    return Notice(desk=ticket.desk_id, ticket=ticket.reference, id=event.pk)


def live_event_record(event: Event) -> None:
    """The ticket events' listener: one notice, announced when the transaction commits."""
    if live_mode() == "stream":
        notice = _notice_of(event)
        transaction.on_commit(lambda: notices_publish([notice]))


def live_events_record(events: Sequence[Event]) -> None:
    """The same for a batch (bulk actions): one publication per ticket after the commit."""
    if live_mode() == "stream" and events:
        notices = [_notice_of(event) for event in events]
        transaction.on_commit(lambda: notices_publish(notices))


# --- Hearing (each web process's event loop) -----------------------------------------------

# Put in every stream's queue when the process is asked to stop: the stream ends, the browser
# connects again (to another process) within seconds, and the server need not wait its
# graceful time-out for streams that never end by themselves (docs/deploy.md).
CLOSING = Notice(desk=-1, ticket="", id=-1)


class Hub:
    """One Redis subscription per event loop, shared by every open stream of the process.

    Each stream gets a bounded queue; the reader puts every notice into every queue (the
    permission filter is the stream's, which knows its agent). After a lost connection to
    Redis the reader connects again and tells every stream to fetch everything once
    (``None``), since notices may have been missed meanwhile.
    """

    _hubs: dict[tuple[int, str], Hub] = {}

    def __init__(self, channel: str, loop: asyncio.AbstractEventLoop) -> None:
        self.channel = channel
        self.loop = loop  # held, so that no later loop can be taken for it by its id
        self.queues: set[asyncio.Queue[Notice | None]] = set()
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.client_name = subscriber_name(channel)

    @classmethod
    def get(cls) -> Hub:
        loop = asyncio.get_running_loop()
        for stale in [key for key, hub in cls._hubs.items() if hub.loop.is_closed()]:
            del cls._hubs[stale]
        key = (id(loop), channel_name())
        hub = cls._hubs.get(key)
        if hub is None or hub.loop is not loop:
            hub = cls._hubs[key] = cls(key[1], loop)
        return hub

    async def subscribe(self) -> asyncio.Queue[Notice | None]:
        queue: asyncio.Queue[Notice | None] = asyncio.Queue(QUEUE_SIZE)
        self.queues.add(queue)
        _end_streams_on_stop(asyncio.get_running_loop())
        if self.task is None or self.task.done():
            self.ready.clear()
            self.task = asyncio.get_running_loop().create_task(self._read())
        # A notice published after this returns reaches the queue.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), timeout=5)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Notice | None]) -> None:
        self.queues.discard(queue)

    @classmethod
    def close_all(cls) -> None:
        for hub in list(cls._hubs.values()):
            for queue in list(hub.queues):
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSING)

    def _tell(self, notice: Notice | None) -> None:
        for queue in list(self.queues):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                # A stream that fell behind: empty it and let the page fetch everything once.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(None)

    async def _read(self) -> None:
        import redis.asyncio as aioredis

        missed = False
        pause = 1.0
        while self.queues:
            # Named, so that an operator (or a test) can tell the subscription in CLIENT LIST.
            client = aioredis.Redis.from_url(settings.REDIS_URL, client_name=self.client_name)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.ready.set()
                pause = 1.0
                if missed:
                    self._tell(None)
                async for message in pubsub.listen():
                    notice = Notice.from_json(message.get("data") or b"")
                    if notice is not None:
                        self._tell(notice)
                    if not self.queues:
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "live: the Redis subscription failed; again in %.0f s", pause, exc_info=True
                )
                missed = True
                await asyncio.sleep(pause)
                pause = min(30.0, pause * 2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()


_watched_loops: set[int] = set()


def _end_streams_on_stop(loop: asyncio.AbstractEventLoop) -> None:
    """Chain a handler before the server's own for SIGTERM and SIGINT that ends every open
    stream of this process. Only the main thread may set signal handlers: a server run in
    another thread (the tests') keeps the streams until it closes them itself."""
    if id(loop) in _watched_loops or threading.current_thread() is not threading.main_thread():
        return
    _watched_loops.add(id(loop))
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)
        if not callable(previous):
            continue  # no server's handler to come before: the default ends the process

        def handler(sig: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(Hub.close_all)
            previous(sig, frame)

        signal.signal(number, handler)


# --- The fallback: the last event id, polled ------------------------------------------------


def last_event_id(user: Any, reference: str = "") -> int:
    """The newest event of ``reference`` (a ticket the agent may see), or else of every desk
    the agent works: one indexed query. A ticket they may not see raises ``NotFound``."""
    from django.db.models import Max

    from supportal.tickets import selectors
    from supportal.tickets.models import Event

    if reference:
        ticket = selectors.ticket_get_for_user(user, reference)
        events = Event.objects.filter(ticket=ticket)
    else:
        desks = selectors.desk_ids_for_agent(user)
        events = (
            Event.objects.all()
            if desks is None
            else Event.objects.filter(ticket__desk_id__in=desks)
        )
    return int(events.aggregate(last=Max("id"))["last"] or 0)
