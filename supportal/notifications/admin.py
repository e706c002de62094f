"""Admin: the footer settings (one row), agents' choices, held addresses, pending actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from supportal.core.admin import ReadOnlyAdmin
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationSettings,
    PendingNotification,
    SuppressedAddress,
    TicketReplyAddress,
)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "support_email", "portal_url", "phone", "working_hours")
    fields = ("team_name", "support_email", "portal_url", "phone", "working_hours", "footer_note")
    # An address typed without a scheme means https (Django 6.0's default, adopted now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ("team_name", "support_email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not NotificationSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgentNotificationPreference)
class AgentNotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "has_new_ticket_mail",
        "has_customer_answer_mail",
        "has_assignment_mail",
        "has_third_party_answer_mail",
    )
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)


class TicketPartAdmin(ReadOnlyAdmin):
    """Written by the notification services; an administrator deleting a ticket (or a stuck
    row) deletes these with it."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(PendingNotification)
class PendingNotificationAdmin(TicketPartAdmin):
    list_display = ("ticket", "actor", "occurred_at", "state", "attempts", "email_count")
    list_filter = ("state",)
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__reference",)


@admin.register(TicketReplyAddress)
class TicketReplyAddressAdmin(TicketPartAdmin):
    list_display = ("ticket", "token", "created_at")
    list_select_related = ("ticket",)
    search_fields = ("ticket__reference", "token")
