from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "supportal.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from supportal.accounts.events import customer_listeners
        from supportal.core.jobs import register_queue
        from supportal.sla import events as sla_events
        from supportal.tickets import events
        from supportal.webhooks.customers import webhook_customer_created
        from supportal.webhooks.models import WebhookEndpoint
        from supportal.webhooks.services import (
            endpoints_cache_clear,
            webhook_event_record,
            webhooks_deliver_due,
        )
        from supportal.webhooks.sla import webhook_sla_event_record

        events.listeners.register("webhooks", webhook_event_record)
        sla_events.listeners.register("webhooks", webhook_sla_event_record)
        customer_listeners.register("webhooks", webhook_customer_created)
        register_queue("webhooks.deliver", webhooks_deliver_due)
        for signal in (post_save, post_delete):
            signal.connect(
                endpoints_cache_clear,
                sender=WebhookEndpoint,
                dispatch_uid=f"supportal.webhooks.cache.{signal}",
            )
