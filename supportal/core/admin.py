"""Admin building blocks shared by every app, and the admin for leases."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.core import ops
from supportal.core.models import Lease, ProcessExit

admin.site.site_header = _("Supportal administration")
admin.site.site_title = _("Supportal")
admin.site.index_title = _("Administration")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services and workers: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """A parent's history, shown beside it and changed only through the services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "holder", "expires_at", "last_run_at")
    list_filter = ("expires_at", "last_run_at")
    search_fields = ("name", "holder")


@admin.register(ProcessExit)
class ProcessExitAdmin(ReadOnlyAdmin):
    """Worker and web processes that died under ``serve`` (docs/deploy.md)."""

    list_display = ("process", "host", "status", "ran_seconds", "exited_at")
    list_filter = ("process", "exited_at")
    search_fields = ("process", "host")


@staff_member_required
def queues_view(request: HttpRequest) -> HttpResponse:
    """Each background queue's depth, failures and oldest item, with a retry for the failed."""
    if request.method == "POST":
        if not request.user.is_superuser:
            raise PermissionDenied
        name = request.POST.get("queue", "")
        count = ops.queue_retry_failed(name)
        messages.success(
            request,
            ngettext(
                "%(count)d row of %(queue)s put back in line.",
                "%(count)d rows of %(queue)s put back in line.",
                count,
            )
            % {"count": count, "queue": name},
        )
        return redirect("admin_queues")
    return render(
        request,
        "admin/queues.html",
        {
            **admin.site.each_context(request),
            "statuses": ops.queue_statuses(),
            "heartbeat": ops.heartbeat_last(),
        },
    )


def autocomplete_ignores_unreadable_choices() -> None:
    """The administration site's autocomplete widget looks the selected values up as given:
    ``?organization=abc`` (the add page takes initial values from the query string) or a posted
    "abc" raised ValueError — HTTP 500. Values its field cannot read are left out, so the form
    shows its usual "select a valid choice" instead (docs/security.md, "Bad input")."""
    from django.contrib.admin.widgets import AutocompleteMixin
    from django.core.exceptions import ValidationError

    if getattr(AutocompleteMixin.optgroups, "ignores_unreadable", False):
        return
    original = AutocompleteMixin.optgroups

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        field_name = getattr(remote, "field_name", None) or remote.model._meta.pk.name
        target = remote.model._meta.get_field(field_name)
        readable = []
        for item in value:
            try:  # the type, and the range the database holds
                target.clean(item, None)
            except (TypeError, ValueError, OverflowError, ValidationError):
                continue
            readable.append(item)
        return original(self, name, readable, attr)

    optgroups.ignores_unreadable = True  # type: ignore[attr-defined]
    AutocompleteMixin.optgroups = optgroups  # type: ignore[method-assign]
