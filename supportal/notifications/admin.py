"""Admin: the footer settings (one row), agents' choices, held addresses, pending actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from supportal.accounts.http import signed_in_user
from supportal.audit.admin import AuditedAdmin
from supportal.audit.models import Action
from supportal.core.admin import ReadOnlyAdmin
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationSettings,
    NotificationTemplate,
    PendingNotification,
    PendingSlaNotification,
    SuppressedAddress,
    TicketReplyAddress,
)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(AuditedAdmin, TranslationAdmin):
    audit_action = Action.SETTINGS_CHANGED
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
        "has_sla_warning_mail",
        "has_cancellation_mail",
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


@admin.register(PendingSlaNotification)
class PendingSlaNotificationAdmin(TicketPartAdmin):
    list_display = ("sla_event", "state", "attempts", "email_count", "created_at")
    list_filter = ("state",)
    list_select_related = ("sla_event",)
    search_fields = ("sla_event__ticket__reference",)


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdmin, admin.ModelAdmin):
    """Editing works here too (the model's clean refuses a template that does not compile);
    the page with the preview and the variables is linked from each row."""

    audit_action = Action.TEMPLATE_CHANGED

    list_display = ("template", "language", "updated_at", "updated_by", "edit_page")
    list_filter = ("template", "language")
    fields = ("template", "language", "subject", "body_text", "body_html")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("preview"))
    def edit_page(self, obj: NotificationTemplate) -> str:
        url = reverse("notifications:template_edit", args=[obj.template, obj.language])
        return format_html('<a href="{}">{}</a>', url, _("Edit with preview"))

    def save_model(self, request: HttpRequest, obj: NotificationTemplate, form, change) -> None:
        obj.updated_by = signed_in_user(request)
        super().save_model(request, obj, form, change)
