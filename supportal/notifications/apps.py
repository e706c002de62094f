from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "supportal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from supportal.core.jobs import register_queue
        from supportal.mail.inbound import listeners as inbound
        from supportal.notifications.services import (
            bounce_record,
            notification_event_record,
            notification_sla_event_record,
            notification_sla_events_record,
            notifications_send_due,
            notifications_sla_send_due,
            reply_address_lookup,
        )
        from supportal.sla import events as sla_events
        from supportal.tickets import events

        events.listeners.register("notifications", notification_event_record)
        sla_events.listeners.register(
            "notifications",
            notification_sla_event_record,
            many=notification_sla_events_record,
        )
        # Inbound mail's hard bounces hold the address; its replies find the request by the
        # reply address our mails carry.
        inbound.bounce_listeners.register("notifications", bounce_record)
        inbound.reply_address_listeners.register("notifications", reply_address_lookup)

        register_queue("notifications.pending", notifications_send_due)
        register_queue("notifications.sla", notifications_sla_send_due)
