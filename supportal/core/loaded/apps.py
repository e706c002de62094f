from __future__ import annotations

from django.apps import AppConfig

from supportal.core.heap import loading_finished


class LoadedConfig(AppConfig):
    """Listed last in INSTALLED_APPS, so that its ready() runs after every other app's: what
    loading made is collected once and frozen, and the collector runs again
    (docs/performance.md, "Twentieth round: no collection while a process loads")."""

    name = "supportal.core.loaded"
    label = "core_loaded"

    def ready(self) -> None:
        loading_finished()
