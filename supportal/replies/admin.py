"""Administrators manage canned replies and saved views here too (team leads use the workspace)."""

from __future__ import annotations

from django.contrib import admin

from supportal.core.names import name_columns
from supportal.core.names_admin import NameSortedAdmin
from supportal.replies.models import CannedReply, SavedView


@admin.register(CannedReply)
class CannedReplyAdmin(NameSortedAdmin):
    sorted_names = ("title",)
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
