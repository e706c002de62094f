from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "supportal.workspace"
    label = "workspace"
    verbose_name = _("Workspace")

    def ready(self) -> None:
        from supportal.tickets import events
        from supportal.workspace.live import live_event_record, live_events_record

        events.listeners.register("live", live_event_record, many=live_events_record)
