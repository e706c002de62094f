from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from supportal.accounts.models import Contact
from supportal.audit.admin import AuditedAdmin
from supportal.audit.models import Action
from supportal.company import services as company_services
from supportal.company.models import (
    ContactChange,
    Download,
    NewsletterIssue,
    NewsletterList,
    Subscription,
    SupportLine,
    Topic,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "product", "topic", "released_on"]
    list_filter = ["product", "topic"]
    list_select_related = ["product", "topic"]
    search_fields = ["title", "version"]
    readonly_fields = ["file_name", "published_by"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.published_by = request.user
        if obj.file:
            obj.file_name = obj.file.name.rsplit("/", 1)[-1]
        super().save_model(request, obj, form, change)


@admin.register(NewsletterList)
class NewsletterListAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "product", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["contact", "newsletter", "created_at"]
    list_select_related = ["contact", "newsletter"]
    raw_id_fields = ["contact"]


@admin.register(NewsletterIssue)
class NewsletterIssueAdmin(admin.ModelAdmin):
    list_display = ["subject", "newsletter", "sent_by", "created_at"]
    list_select_related = ["newsletter", "sent_by"]
    readonly_fields = ["newsletter", "subject", "body", "download", "sent_by"]

    def has_add_permission(self, request) -> bool:
        return False  # issues are sent from the workspace, which creates their deliveries


@admin.register(ContactChange)
class ContactChangeAdmin(admin.ModelAdmin):
    list_display = ["contact", "kind", "actor", "created_at"]
    list_select_related = ["contact", "actor"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportLine)
class SupportLineAdmin(AuditedAdmin, TranslationAdmin):
    audit_action = Action.SETTINGS_CHANGED

    def has_add_permission(self, request) -> bool:
        return not SupportLine.objects.exists()


@admin.register(Contact)
class ContactAdmin(AuditedAdmin, admin.ModelAdmin):
    """The company contacts (an accounts model): here, because every save is written to the
    contact change log like the portal's and the workspace's."""

    audit_action = Action.CONTACT_CHANGED

    list_display = (
        "last_name",
        "first_name",
        "organization",
        "function",
        "email",
        "mobile",
        "user",
        "is_active",
    )
    list_display_links = ("last_name", "first_name")
    list_filter = ("is_active", "gender")
    list_select_related = ("organization", "user")
    search_fields = (
        "last_name",
        "first_name",
        "email",
        "mobile",
        "function",
        "organization__name",
        "user__email",
    )
    autocomplete_fields = ("organization", "user")

    def save_model(self, request, obj: Contact, form, change: bool) -> None:
        # The portal's services are bypassed here, so record the change log entry the same way.
        before = Contact.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        company_services.contact_admin_saved(contact=obj, actor=request.user, before=before)
