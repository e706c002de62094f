"""Helpers for the account tests: a clean cache (throttle counters, mail limits), the portal
settings row, and a clock the throttle reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from supportal.accounts import selectors, throttle
from supportal.accounts.models import PortalSettings


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def portal(db) -> PortalSettings:
    return selectors.portal_settings_get()


@dataclass
class Clock:
    now: datetime

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The throttle's clock, moved by the test."""
    current = Clock(timezone.now())
    monkeypatch.setattr(throttle, "_now", lambda: current.now)
    return current
