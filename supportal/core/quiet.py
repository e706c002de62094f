"""History written quietly: what an import writes is not news to anyone.

An importer replays years of requests through the ticket services so that permissions, search
documents, events and SLA clocks come out right; the people on those requests were told at the
time, by the old system. Inside :func:`quietly` the listeners that tell people (notifications,
webhooks) and ``core.mails.mail_queue`` do nothing, while the ones that derive data (SLA clocks,
search) run as always (docs/import.md, "No mail").

A context variable, not a flag on the rows: it holds for exactly the import's own calls, in
its own thread, and a request a person changes while an import runs is told as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_quiet: ContextVar[bool] = ContextVar("supportal_quiet", default=False)


@contextmanager
def quietly() -> Iterator[None]:
    """Run the block without telling anyone: no notifications, webhooks or queued mail."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def is_quiet() -> bool:
    """Whether the current code runs inside :func:`quietly` (an import)."""
    return _quiet.get()
