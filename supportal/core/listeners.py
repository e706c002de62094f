"""An explicit, ordered list of in-transaction listeners (no Django signals for the workflow).

A domain that records something others react to (a ticket's events, the SLA's events) names
its listeners, in the order they run, in one ``ListenerList``; each listening app registers its
function under that name in its ``AppConfig.ready()``. ``notify`` calls them in the listed
order inside the caller's transaction, so a listener's failure rolls the whole action back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class ListenerList(Generic[T]):
    def __init__(self, what: str, order: tuple[str, ...]) -> None:
        self.what = what
        self.order = order
        self._listeners: dict[str, Callable[[T], object]] = {}

    def register(self, name: str, listener: Callable[[T], object]) -> None:
        if name not in self.order:
            raise ImproperlyConfigured(
                f"{name!r} is not in the listener list of {self.what}: add it to the order."
            )
        self._listeners[name] = listener

    def notify(self, item: T) -> None:
        for name in self.order:
            listener = self._listeners.get(name)
            if listener is None:
                raise ImproperlyConfigured(f"No listener {name!r} registered for {self.what}.")
            listener(item)
