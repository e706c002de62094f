"""What imports brought in, read-only, for administrators (docs/import.md)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from supportal.imports.models import ImportedObject


@admin.register(ImportedObject)
class ImportedObjectAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "source_id", "content_type", "object_id", "imported_at"]
    list_filter = ["source", "kind"]
    search_fields = ["source_id"]
    ordering = ["-pk"]
    # Counting a million rows on every page would cost more than the page itself.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
