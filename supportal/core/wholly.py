"""Transactions taken whole: the ticket services called inside take no savepoint.

Every ticket service opens ``transaction.atomic()``; inside a caller's transaction Django makes
that a savepoint (a ``SAVEPOINT`` and a ``RELEASE``, two round trips a call), so that a caller
may catch the service's error and carry on. A caller that never does — the inbound processing
of one message, where any error rolls the whole message back and leaves it FAILED
(docs/email.md) — opens :func:`wholly` instead, and the services called within take no
savepoint (``service_atomic``): an error inside still rolls back everything, the caller's work
too, at the block's end (docs/performance.md, "Tenth round: the e-mail intake").

A context variable, as ``core.quiet``: it holds for exactly the calls inside the block, in its
own thread. A savepoint opened explicitly inside (``transaction.atomic()``, e.g. to survive a
unique violation) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

_whole: ContextVar[bool] = ContextVar("supportal_whole", default=False)


@contextmanager
def wholly() -> Iterator[None]:
    """A transaction (``transaction.atomic()``) inside which the services take no savepoint.
    Inside it, an error a service raises must not be caught to carry on in the block: the
    transaction can then only roll back."""
    with transaction.atomic():
        token = _whole.set(True)
        try:
            yield
        finally:
            _whole.reset(token)


def service_atomic() -> transaction.Atomic:
    """``transaction.atomic()`` for a ticket service: a savepoint inside a caller's transaction,
    unless the caller took it :func:`wholly`."""
    return transaction.atomic(savepoint=not _whole.get())
