"""Webhook endpoints and their deliveries (docs/api.md#webhooks).

An administrator subscribes a URL to ticket event kinds. Each matching event writes one
``WebhookDelivery`` per endpoint in the transaction of the change (so a rolled-back change sends
nothing); the worker claims due deliveries (``core.jobs.claim_due``), signs and posts them, and
retries failures with exponential back-off. The delivery rows are the log administrators read.
"""

from __future__ import annotations

import base64
import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.models import DueWork, TimeStampedModel


def secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=secret_new,
        help_text=_("The receiver verifies each delivery's signature with it."),
    )
    # The secret before the last rotation, still signing (as a second signature) until
    # ``previous_secret_until``, so receivers can switch without losing a delivery.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    event_kinds = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("The ticket events to send; none chosen sends every event."),
    )
    desk = models.ForeignKey(
        "desks.Desk",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desk"),
        help_text=_("Only this desk's tickets; empty: every desk."),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
        help_text=_("Only this company's requests; empty: every company's."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("sent as"),
        help_text=_(
            "Deliveries carry only what this person may see: internal notes go only to an "
            "endpoint whose person is an agent of the ticket's desk."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled automatically"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def secrets_signing(self, now: datetime.datetime) -> list[str]:
        """The secrets each delivery is signed with now: the current one, and the previous one
        during the overlap after a rotation."""
        previous = (
            [self.previous_secret]
            if self.previous_secret
            and self.previous_secret_until
            and self.previous_secret_until > now
            else []
        )
        return [self.secret, *previous]

    def wants(self, kind: str, desk_id: int, organization_id: int | None = None) -> bool:
        return (
            (not self.event_kinds or kind in self.event_kinds)
            and (self.desk_id is None or self.desk_id == desk_id)
            and (self.organization_id is None or self.organization_id == organization_id)
        )


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(DueWork):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The same id on a redelivery: receivers de-duplicate by it (``webhook-id``).
    message_id = models.CharField(_("message id"), max_length=64, db_index=True)
    event_type = models.CharField(_("event"), max_length=50)
    ticket_reference = models.CharField(_("ticket"), max_length=24, blank=True)
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("time (ms)"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint} ({self.state})"
