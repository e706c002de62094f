"""Administrators manage canned replies and saved views here too (team leads use the workspace)."""

from __future__ import annotations

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from supportal.audit.admin import AuditedAdmin
from supportal.audit.models import Action
from supportal.core.names import name_columns
from supportal.replies.models import CannedReply, SavedView


@admin.register(CannedReply)
class CannedReplyAdmin(AuditedAdmin, TranslationAdmin):
    audit_action = Action.CANNED_REPLY_CHANGED
    list_display = ("title", "desk", "is_active", "updated_at")
    list_filter = ("desk", "is_active")
    search_fields = (*name_columns("title"), *name_columns("body"))
    readonly_fields = ("created_by", "created_at", "updated_at")


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "desk", "created_at")
    list_filter = ("desk",)
    search_fields = ("name", "owner__email")
    autocomplete_fields = ("owner",)
