"""Webhook endpoints and their delivery log, for administrators (docs/api.md#webhooks)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.core.forms import model_choice_field
from supportal.tickets.events import EventKind
from supportal.webhooks.customers import CUSTOMER_CHOICES
from supportal.webhooks.models import WebhookDelivery, WebhookEndpoint
from supportal.webhooks.services import (
    endpoint_secret_rotate,
    target_resolve,
    webhook_redeliver,
)
from supportal.webhooks.sla import SLA_CHOICES


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[*EventKind.choices, *SLA_CHOICES, *CUSTOMER_CHOICES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen sends every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_kinds", "desk", "organization", "owner", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = User.objects.filter(is_active=True)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            target_resolve(url)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "failing_since", "disabled_at", "desk")
    list_filter = ("is_active",)
    search_fields = ("name", "url", "owner__email")
    readonly_fields = ("secret", "previous_secret_until", "failing_since", "disabled_at")
    autocomplete_fields = ("organization",)
    actions = ["secret_rotate"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {"owner": request.user.pk}

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: forms.Form, change: bool
    ) -> None:
        if obj.is_active:
            obj.disabled_at = None
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Give the selected endpoints a new signing secret"))
    def secret_rotate(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        now = timezone.now()
        for endpoint in queryset:
            endpoint_secret_rotate(endpoint, now=now)
        self.message_user(
            request,
            ngettext(
                "New secrets are set: give them to the receivers. The old ones sign too for "
                "%(hours)d more hour.",
                "New secrets are set: give them to the receivers. The old ones sign too for "
                "%(hours)d more hours.",
                settings.SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS,
            )
            % {"hours": settings.SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS},
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, the answer, the attempts; redeliver."""

    list_display = (
        "created_at",
        "endpoint",
        "event_type",
        "ticket_reference",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "last_duration_ms",
        "delivered_at",
    )
    list_filter = ("state", "endpoint", "event_type")
    search_fields = ("ticket_reference", "message_id")
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "id"]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        count = 0
        for delivery in queryset:
            webhook_redeliver(actor=actor, delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again.",
                "%(count)d deliveries will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
