"""The audit log in the administration site: entries read-only (append-only, docs/audit.md);
the retention editable. ``AuditedAdmin``: what other apps' admins use for settings edited only
there, so each save and delete leaves an entry in the admin's own transaction."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from supportal.audit import services
from supportal.audit.models import Action, AuditEntry, AuditSettings
from supportal.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_label", "ip")
    list_filter = ("action", "created_at")
    search_fields = ("actor_label", "object_label", "object_id", "ip")
    date_hierarchy = "created_at"


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions are audited as ``audit_action``: the values before
    and after (changed fields only; secrets redacted by name). The admin's change view runs in
    a transaction, so the entry commits with the change."""

    audit_action: ClassVar[str] = Action.SETTINGS_CHANGED
    # Changes of many-to-many fields (a user's groups and permissions, a group's permissions).
    audit_m2m_action: ClassVar[str] = Action.PERMISSIONS_CHANGED
    # The inline rows' own action, by model label ("desks.deskmembership"); default the admin's.
    audit_inline_actions: ClassVar[dict[str, str]] = {}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before: dict[str, Any] = {}
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = services.snapshot(old) if old is not None else {}
        # The form saves many-to-many fields after the row (save_related): keep them as they were.
        if change and obj.pk is not None:
            form.audit_m2m_before = _m2m_values(obj, form)
        super().save_model(request, obj, form, change)
        after = services.snapshot(obj)
        if change:
            before, after = services.changed_only(before, after)
            if not after:
                return
        services.audit_record(
            actor=request.user,
            action=self.audit_action,
            obj=obj,
            before=before or None,
            after=after,
            request_meta=request,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields the form edits (groups, permissions) are saved here, after the
        row: recorded as ``audit_m2m_action`` with the names before and after."""
        super().save_related(request, form, formsets, change)
        after = _m2m_values(form.instance, form)
        # A new row had none.
        before = getattr(form, "audit_m2m_before", None) or {name: [] for name in after}
        before, after = services.changed_only(before, after)
        if after:
            self._audit(request, self.audit_m2m_action, form.instance, before, after)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (a desk's members, a calendar's hours …): each added, changed or deleted
        row is recorded with its values."""
        befores = (
            {row.pk: services.snapshot(row) for row in formset.get_queryset() if row.pk is not None}
            if change
            else {}
        )
        super().save_formset(request, form, formset, change)
        action = self.audit_inline_actions.get(formset.model._meta.label_lower, self.audit_action)
        for row in formset.new_objects:
            self._audit(request, action, row, None, services.snapshot(row))
        for row, _fields in formset.changed_objects:
            before, after = services.changed_only(befores.get(row.pk, {}), services.snapshot(row))
            if after:
                self._audit(request, action, row, before, after)
        for row in formset.deleted_objects:
            self._audit(request, Action.DATA_DELETED, row, services.snapshot(row), None)

    def _audit(self, request: HttpRequest, action: str, obj: Any, before: Any, after: Any) -> None:
        services.audit_record(
            actor=request.user,
            action=action,
            obj=obj,
            before=before or None,
            after=after,
            request_meta=request,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self._audit_deleted(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_deleted(self, request: HttpRequest, obj: models.Model) -> None:
        services.audit_record(
            actor=request.user,
            action=Action.DATA_DELETED,
            obj=obj,
            before=services.snapshot(obj),
            request_meta=request,
        )


def _m2m_values(obj: models.Model, form: Any) -> dict[str, list[str]]:
    """The names in each many-to-many field of ``obj`` that ``form`` edits, sorted."""
    edited = getattr(form, "cleaned_data", {}) or {}
    return {
        field.name: sorted(str(related) for related in getattr(obj, field.name).all())
        for field in obj._meta.many_to_many
        if field.name in edited and obj.pk is not None
    }


@admin.register(AuditSettings)
class AuditSettingsAdmin(AuditedAdmin):
    list_display = ("__str__", "retention_days")
    search_fields = ("id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AuditSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
