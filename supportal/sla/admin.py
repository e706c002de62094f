"""Admin for calendars, policies and desk SLA settings; clocks and SLA events are shown only.

Saving a calendar (with its periods and dates), a policy or a desk's settings recomputes the
stored deadlines of the open requests it affects, through the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from supportal.core.names import name_columns
from supportal.core.names_admin import NameSortedAdmin
from supportal.sla import clock as business
from supportal.sla import services
from supportal.sla.models import (
    Calendar,
    CalendarDate,
    Clock,
    ClockEntry,
    DeskSlaSettings,
    Policy,
    SlaEvent,
    WorkingPeriod,
)


class WorkingPeriodFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        week: dict[int, list[business.WorkingPeriod]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start_time"):
                continue
            try:
                period = business.WorkingPeriod(data["start_time"], data["end_time"])
            except ValueError:
                continue  # the form's own clean() said so
            week.setdefault(data["weekday"], []).append(period)
        try:
            business.BusinessCalendar(
                time_zone="UTC", week={day: tuple(periods) for day, periods in week.items()}
            )
        except ValueError:
            raise forms.ValidationError(_("Working periods of the same day overlap.")) from None
        if not week and not self.instance.is_always_open:
            raise forms.ValidationError(_("A calendar needs working periods, unless it is 24/7."))


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    extra = 0


class CalendarDateInline(admin.TabularInline):
    model = CalendarDate
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "is_always_open", "country_code", "is_default")
    list_filter = ("is_always_open", "country_code", "is_default")
    search_fields = ("name", "time_zone", "country_code")
    readonly_fields = ("public_holidays_this_year",)
    inlines = (WorkingPeriodInline, CalendarDateInline)

    @admin.display(description=_("days off this year"))
    def public_holidays_this_year(self, calendar: Calendar) -> str:
        if calendar.pk is None:
            return "—"
        year = timezone.localdate().year
        built = services.calendar_business(calendar, years=[year])
        days = sorted(day for day in built.holidays if day.year == year)
        return ", ".join(f"{day:%d.%m}" for day in days) or "—"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            services.calendar_changed(calendar=form.instance)


@admin.register(Policy)
class PolicyAdmin(NameSortedAdmin):
    list_display = (
        "name",
        "desk",
        "priority",
        "request_type",
        "contract",
        "calendar",
        "first_response_duration",
        "resolution_duration",
        "is_active",
    )
    list_filter = ("is_active", "desk", "priority", "calendar")
    list_select_related = ("desk", "priority", "request_type", "contract", "calendar")
    search_fields = (*name_columns("name"), "contract__name", "contract__organization__name")

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.policies_changed()

    def delete_model(self, request: HttpRequest, obj: Policy) -> None:
        super().delete_model(request, obj)
        services.policies_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        super().delete_queryset(request, queryset)
        services.policies_changed()


@admin.register(DeskSlaSettings)
class DeskSlaSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "desk",
        "warning_lead_duration",
        "customer_reply_duration",
        "reply_overdue_action",
    )
    list_filter = ("reply_overdue_action",)
    list_select_related = ("desk",)
    search_fields = (*name_columns("desk__name"), "desk__key")
    autocomplete_fields = ("resolve_as",)

    def save_model(
        self, request: HttpRequest, obj: DeskSlaSettings, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        services.desk_settings_changed(desk=obj.desk)


class SlaRecordAdmin(ReadOnlyAdmin):
    """Rows the engine writes. They go with their request when a superuser deletes it (the
    ticket admin's cascade asks each registered model), never on their own."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)


class ClockEntryInline(ReadOnlyTabularInline):
    model = ClockEntry
    fields = ("at", "kind", "reason", "event", "data")
    show_change_link = False


@admin.register(Clock)
class ClockAdmin(SlaRecordAdmin):
    list_display = (
        "ticket",
        "goal",
        "state",
        "target_duration",
        "deadline_at",
        "is_breached",
        "next_due_at",
    )
    list_filter = ("goal", "state", "is_breached", "calendar")
    list_select_related = ("ticket",)
    search_fields = ("ticket__reference",)
    inlines = (ClockEntryInline,)


@admin.register(SlaEvent)
class SlaEventAdmin(SlaRecordAdmin):
    list_display = ("ticket", "kind", "goal", "due_at", "recorded_at", "assignee")
    list_filter = ("kind", "goal", "due_at")
    list_select_related = ("ticket", "assignee")
    search_fields = ("ticket__reference", "assignee__email")
