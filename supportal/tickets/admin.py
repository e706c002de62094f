"""Admin for tickets and what is said and done on them.

A ticket changes only through the services (docs/architecture.md): the admin shows every ticket,
edits only what ``services.ticket_fields_change`` accepts (so the change is recorded as events and
the search index follows), never adds tickets, and lets only superusers delete them. Comments,
attachments, participants, mutes, quotes, feedback and events are shown, never edited.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts.http import signed_in_user
from supportal.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from supportal.core.forms import model_choice_field
from supportal.desks.models import RequestType
from supportal.tickets import services
from supportal.tickets.models import (
    Attachment,
    Comment,
    Event,
    Feedback,
    NotificationMute,
    Participant,
    Quote,
    Ticket,
)
from supportal.tickets.selectors import is_support_for
from supportal.tickets.workflow import FINAL_STATUSES

# What services.ticket_fields_change accepts; everything else on a ticket has its own service.
EDITABLE_FIELDS = ("summary", "product", "request_type", "priority", "contact_phone")

# Rows that belong to a ticket and go with it when a superuser deletes the ticket.
TICKET_PARTS = (Comment, Attachment, Participant, NotificationMute, Quote, Feedback, Event)


class TicketForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = EDITABLE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "request_type" in self.fields:
            model_choice_field(self, "request_type").queryset = RequestType.objects.filter(
                desk_id=self.instance.desk_id
            )

    def clean_summary(self) -> str:
        # The same rule the service applies, said here so the admin shows it as a field error.
        summary = self.cleaned_data["summary"].strip()
        limit = self.instance.desk.summary_max_length
        if len(summary) > limit:
            raise forms.ValidationError(
                ngettext(
                    "At most %(limit)d character, please.",
                    "At most %(limit)d characters, please.",
                    limit,
                ),
                params={"limit": limit},
            )
        return summary


class CommentInline(ReadOnlyTabularInline):
    model = Comment
    fields = ("created_at", "author", "is_public", "via", "body")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("author")


class AttachmentInline(ReadOnlyTabularInline):
    model = Attachment
    fields = ("created_at", "file_name", "content_type", "size", "is_internal", "uploaded_by")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("uploaded_by")


class ParticipantInline(ReadOnlyTabularInline):
    model = Participant
    fields = ("user", "added_by", "created_at")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("user", "added_by")


class EventInline(ReadOnlyTabularInline):
    model = Event
    fields = ("created_at", "kind", "actor", "is_public", "data")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketForm
    list_display = ("reference", "summary", "desk", "status", "requester", "assignee", "updated_at")
    list_filter = ("desk", "status", "submission_method", "priority", "request_type", "product")
    list_select_related = ("desk", "requester", "assignee")
    search_fields = ("reference", "summary", "requester__email")
    fieldsets = (
        (None, {"fields": ("reference", "desk", "number", "summary", "details")}),
        (_("Workflow"), {"fields": ("status", "assignee", "waiting_reason", "waiting_on")}),
        (
            _("Filed under"),
            {"fields": ("product", "request_type", "priority", "submission_method")},
        ),
        (
            _("People"),
            {"fields": ("requester", "organization", "contact_email", "contact_phone")},
        ),
        (_("Custom fields"), {"fields": ("custom_fields",)}),
        (_("Resolution"), {"fields": ("resolution", "resolved_at", "closed_at", "auto_close_at")}),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "reference",
        "desk",
        "number",
        "details",
        "status",
        "assignee",
        "waiting_reason",
        "waiting_on",
        "submission_method",
        "requester",
        "organization",
        "contact_email",
        "custom_fields",
        "resolution",
        "resolved_at",
        "closed_at",
        "auto_close_at",
        "created_at",
        "updated_at",
    )
    inlines = (CommentInline, AttachmentInline, ParticipantInline, EventInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets are created through the portal, the workspace, the API and mail.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # The service refuses closed tickets and people outside the desk: show those read-only.
        return obj.status not in FINAL_STATUSES and is_support_for(signed_in_user(request), obj)

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A ticket's history goes with the ticket; its parts refuse deletion only one by one.
        parts = {str(model._meta.verbose_name) for model in TICKET_PARTS}
        perms_needed = {name for name in perms_needed if str(name) not in parts}
        return deleted, counts, perms_needed, protected

    def save_model(self, request: HttpRequest, obj: Ticket, form: TicketForm, change: bool) -> None:
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        if changes:
            services.ticket_fields_change(ticket=obj, actor=signed_in_user(request), **changes)


class TicketPartAdmin(ReadOnlyAdmin):
    """A row of a ticket's history: found by the ticket's reference, filtered by its desk."""

    list_select_related: ClassVar[tuple[str, ...]] = ("ticket",)
    # Newest first by the primary key, which its index answers a page at a time. These tables
    # grow with the requests, and the models' orders (time, then id) have no index of their
    # own: the events' list sorted the whole table for each page, 159 ms at 88,000 events on
    # SQLite (docs/architecture.md, "Sixteenth round: the administration's pages at scale").
    # A column header still sorts by time.
    ordering = ("-pk",)


@admin.register(Comment)
class CommentAdmin(TicketPartAdmin):
    list_display = ("ticket", "author", "is_public", "via", "created_at")
    list_filter = ("is_public", "via", "ticket__desk", "created_at")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__reference", "body", "author__email")


@admin.register(Attachment)
class AttachmentAdmin(TicketPartAdmin):
    list_display = (
        "file_name",
        "ticket",
        "uploaded_by",
        "content_type",
        "size",
        "is_internal",
        "created_at",
    )
    list_filter = ("is_internal", "ticket__desk", "created_at")
    list_select_related = ("ticket", "uploaded_by")
    search_fields = ("file_name", "ticket__reference", "uploaded_by__email")
    # No link to the file itself: MEDIA_URL is not served, files go out only through the
    # permission-checked /files/<id>/ view.
    fields = (
        "ticket",
        "comment",
        "file_name",
        "stored_as",
        "content_type",
        "size",
        "is_internal",
        "uploaded_by",
        "created_at",
    )
    readonly_fields = ("stored_as",)

    @admin.display(description=_("stored as"))
    def stored_as(self, attachment: Attachment) -> str:
        return attachment.file.name or ""


@admin.register(Participant)
class ParticipantAdmin(TicketPartAdmin):
    list_display = ("ticket", "user", "added_by", "created_at")
    list_filter = ("ticket__desk",)
    list_select_related = ("ticket", "user", "added_by")
    search_fields = ("ticket__reference", "user__email", "user__first_name", "user__last_name")


@admin.register(NotificationMute)
class NotificationMuteAdmin(TicketPartAdmin):
    list_display = ("ticket", "user", "created_at")
    list_filter = ("ticket__desk",)
    list_select_related = ("ticket", "user")
    search_fields = ("ticket__reference", "user__email")


@admin.register(Quote)
class QuoteAdmin(TicketPartAdmin):
    list_display = (
        "ticket",
        "price",
        "currency",
        "deadline",
        "state",
        "proposed_by",
        "created_at",
        "answered_at",
    )
    list_filter = ("state", "currency", "ticket__desk", "created_at")
    list_select_related = ("ticket", "proposed_by")
    search_fields = ("ticket__reference", "note", "proposed_by__email")


@admin.register(Feedback)
class FeedbackAdmin(TicketPartAdmin):
    list_display = ("ticket", "rating", "given_by", "created_at")
    list_filter = ("rating", "ticket__desk", "created_at")
    list_select_related = ("ticket", "given_by")
    search_fields = ("ticket__reference", "message", "given_by__email")


@admin.register(Event)
class EventAdmin(TicketPartAdmin):
    """Append-only: no one adds, changes or deletes an event here (ReadOnlyAdmin)."""

    list_display = ("created_at", "ticket", "kind", "actor", "is_public")
    list_filter = ("kind", "is_public", "ticket__desk", "created_at")
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__reference", "actor__email")
