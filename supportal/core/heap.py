"""The web process's heap, frozen once the application is loaded (docs/performance.md, "Tenth
round: the floor of every request and creating a request").

Python's cyclic garbage collector now and then walks every object the process holds: the
modules, classes, URL patterns and settings Django loaded at start, hundreds of thousands of
objects that live as long as the process. In a web process that walk took as long as a thousand
requests, and the request that triggered it waited for it (its p99). ``gc.freeze()`` moves what
exists after loading into a generation the collector never walks; what requests create is
collected as before, so memory behaves the same.

While a process loads (Django, the apps, their models and administration), the collector ran too,
and found almost nothing to free: what loading makes lives as long as the process. Its walks were a
fifth of the start of a ``manage.py`` command (docs/performance.md, "Twentieth round: no collection
while a process loads"). The entry points (manage.py, the WSGI and ASGI modules, the tests' plugin)
turn it off first thing; the last app's ready() collects once, freezes what is left and turns it on
again.
"""

from __future__ import annotations

import gc


def loading_started() -> None:
    """No collection until every app is ready (loading_finished): called first by an entry
    point."""
    gc.disable()


def loading_finished() -> None:
    """Every app is ready (supportal/core/loaded/apps.py): what loading left that is garbage
    is collected, the rest frozen, and the collector runs again."""
    gc.collect()
    gc.freeze()
    gc.enable()


def heap_freeze() -> None:
    """Load every view module (the URL patterns import them), then end the loading as the last
    app's ready() does (loading_finished): called by the WSGI and ASGI entry points after the
    application is built."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views now, so they are frozen too
    loading_finished()
