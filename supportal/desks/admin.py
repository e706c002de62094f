"""Admin for desks and what a request is filed under."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from modeltranslation.admin import (
    TranslationStackedInline,
    TranslationTabularInline,
)

from supportal.audit.admin import AuditedAdmin
from supportal.audit.models import Action
from supportal.core.memo import remembered
from supportal.core.names import name_columns
from supportal.core.names_admin import NameSortedAdmin
from supportal.desks.models import (
    CustomField,
    Desk,
    DeskMembership,
    Priority,
    Product,
    RequestType,
)


class DeskMembershipInline(admin.TabularInline):
    model = DeskMembership
    extra = 0
    autocomplete_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeskMembership]:
        # Each row is titled by its membership's name (the person and the desk's key).
        return super().get_queryset(request).select_related("user", "desk")


class RequestTypeInline(TranslationTabularInline):
    model = RequestType
    extra = 0


class CustomFieldInline(TranslationStackedInline):
    model = CustomField
    extra = 0

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "request_type":
            # Only this desk's request types make sense for its fields.
            match = request.resolver_match
            object_id = match.kwargs.get("object_id") if match is not None else None
            kwargs["queryset"] = RequestType.objects.filter(desk=object_id or None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Desk)
class DeskAdmin(AuditedAdmin, NameSortedAdmin):
    audit_action = Action.SETTINGS_CHANGED
    audit_inline_actions = {"desks.deskmembership": Action.MEMBERSHIP_CHANGED}
    list_display = (
        "name",
        "key",
        "email_address",
        "auto_close_days",
        "last_ticket_number",
        "is_active",
    )
    list_filter = ("is_active", "customer_reply_status", "notify_agents_of_new_tickets")
    search_fields = (*name_columns("name"), "key", "email_address")
    filter_horizontal = ("products",)
    inlines = (DeskMembershipInline, RequestTypeInline, CustomFieldInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Desk | None = None) -> tuple:
        fields: tuple = ("last_ticket_number", "created_at", "updated_at")
        # Django asks for the read-only fields six times a page: whether the desk has requests
        # is read once per desk object.
        if obj is not None and remembered(obj, "admin_has_tickets", obj.tickets.exists):
            # References such as HELP-161 already carry the key, in mail and in links.
            fields = ("key", *fields)
        return fields


@admin.register(DeskMembership)
class DeskMembershipAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_action = Action.MEMBERSHIP_CHANGED
    list_display = ("user", "desk", "role")
    list_filter = ("desk", "role")
    list_select_related = ("user", "desk")
    search_fields = ("user__email", "user__first_name", "user__last_name", "desk__key")
    autocomplete_fields = ("user",)


@admin.register(Product)
class ProductAdmin(AuditedAdmin, NameSortedAdmin):
    audit_action = Action.SETTINGS_CHANGED
    list_display = ("name", "is_active")
    list_filter = ("is_active", "desks")
    search_fields = (*name_columns("name"), *name_columns("description"))


@admin.register(Priority)
class PriorityAdmin(AuditedAdmin, NameSortedAdmin):
    audit_action = Action.SETTINGS_CHANGED
    list_display = ("name", "rank", "is_default")
    list_filter = ("is_default",)
    search_fields = name_columns("name")


@admin.register(RequestType)
class RequestTypeAdmin(AuditedAdmin, NameSortedAdmin):
    audit_action = Action.SETTINGS_CHANGED
    list_display = ("name", "desk", "position", "is_active")
    list_filter = ("desk", "is_active")
    list_select_related = ("desk",)
    search_fields = (
        *name_columns("name"),
        *name_columns("description"),
        "desk__key",
        *name_columns("desk__name"),
    )


@admin.register(CustomField)
class CustomFieldAdmin(AuditedAdmin, NameSortedAdmin):
    audit_action = Action.SETTINGS_CHANGED
    sorted_names = ("label",)
    list_display = (
        "label",
        "name",
        "desk",
        "request_type",
        "kind",
        "is_required",
        "is_visible_to_customer",
        "position",
    )
    list_filter = ("desk", "kind", "is_required", "is_visible_to_customer")
    list_select_related = ("desk", "request_type")
    search_fields = (
        *name_columns("label"),
        "name",
        "desk__key",
        *name_columns("request_type__name"),
    )
