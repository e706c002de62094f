from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.core.checks import CheckMessage


class CoreConfig(AppConfig):
    name = "supportal.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.core import checks

        from supportal.core import lookups  # noqa: F401 (registers __in_constants)
        from supportal.core.admin import autocomplete_ignores_unreadable_choices
        from supportal.core.jobs import connect_wake_signals, register_periodic
        from supportal.core.metrics import login_failed
        from supportal.core.orphans import orphan_files_sweep, upload_temp_files_sweep

        connect_wake_signals()
        # Files of failed or abandoned uploads (docs/security.md, "Files"); the walk lists
        # every stored file, so it runs a few times a day, not every tick.
        register_periodic(
            "core.orphan_files_sweep",
            orphan_files_sweep,
            every=timedelta(hours=6),
            lease_duration=timedelta(hours=1),
        )
        # Temporary files of uploads a killed web process left (same docs section).
        register_periodic(
            "core.upload_temp_files_sweep",
            upload_temp_files_sweep,
            every=timedelta(hours=1),
            lease_duration=timedelta(minutes=10),
        )
        autocomplete_ignores_unreadable_choices()

        user_login_failed.connect(login_failed, dispatch_uid="supportal.metrics.login")
        checks.register(shared_cache_check, checks.Tags.caches, deploy=False)


def shared_cache_check(
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None = None,
    **kwargs: object,
) -> list[CheckMessage]:
    """Say so when several web processes share the database cache because Redis is missing."""
    from django.conf import settings
    from django.core import checks

    if not settings.CACHE_FALLBACK_REASON:
        return []
    return [checks.Info(settings.CACHE_FALLBACK_REASON, id="supportal.I001")]
