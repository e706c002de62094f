"""Answers remembered on an object for as long as it lives (``request.user``: one request), and
forgotten as soon as a row they were read from is saved or deleted in this process.

A page asks "which desks is this agent in, with which role" and "what does this customer's
company share" several times (its list, its navigation's counts, each permission check): one
query each per request instead (docs/performance.md). The apps connect ``forget_all`` to the
save and delete signals of the models such answers are read from; a change made by another
process is seen from the next request on, as it would be anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_generation = 0


def forget_all(*args: Any, **kwargs: Any) -> None:
    """Signal receiver: every remembered answer is read again on its next use."""
    global _generation
    _generation += 1


def remembered(owner: object, key: str, compute: Callable[[], T]) -> T:
    name = f"_memo_{key}"
    memo = getattr(owner, name, None)
    if memo is not None and memo[0] == _generation:
        return memo[1]
    value = compute()
    setattr(owner, name, (_generation, value))
    return value
