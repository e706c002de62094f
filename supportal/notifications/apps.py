from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "supportal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.notifications.services import (
            notification_event_record,
            notification_sla_event_record,
            notifications_send_due,
            notifications_sla_send_due,
        )
        from supportal.sla import events as sla_events
        from supportal.tickets import events

        events.listeners.register("notifications", notification_event_record)
        sla_events.listeners.register("notifications", notification_sla_event_record)

        register_queue("notifications.pending", notifications_send_due)
        register_queue("notifications.sla", notifications_sla_send_due)
