"""The web process's heap frozen after loading (docs/performance.md, "Tenth round: the floor of
every request and creating a request")."""

from __future__ import annotations

import gc
import importlib
import weakref

import pytest

from supportal.core.heap import heap_freeze


class _Node:
    pass


@pytest.fixture
def frozen_heap():
    heap_freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_after_the_freeze_pages_answer_and_what_requests_leave_behind_is_still_collected(
    frozen_heap, client
):
    assert gc.get_freeze_count() > 0  # the loaded application is out of the collector's walks
    assert client.get("/login/").status_code == 200
    cycle = _Node()
    cycle.itself = cycle
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None


def test_the_server_entry_points_freeze_the_loaded_application():
    import config.asgi
    import config.wsgi

    gc.unfreeze()
    try:
        importlib.reload(config.wsgi)
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        importlib.reload(config.asgi)
        assert config.wsgi.application is not None and config.asgi.application is not None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
