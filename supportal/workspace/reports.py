"""Reports for team leads: the SLA report as a page with a chart, and as CSV; customer
satisfaction (CSAT) beside it."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import Organization, User
from supportal.audit.services import audit_exported
from supportal.core.errors import PermissionRefused
from supportal.core.formats import CSV_BYTE_ORDER_MARK, csv_delimiter
from supportal.core.forms import model_choice_field
from supportal.desks.models import Desk, Product
from supportal.sla.reports import (
    GROUPINGS,
    ReportFilters,
    SlaReport,
    report_desk_ids,
    sla_report,
)
from supportal.tickets.reports import CsatFilters, csat_report
from supportal.workspace.views.common import agent_required

DEFAULT_PERIOD_DAYS = 30


class SlaReportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("Until"), required=False)
    desk = forms.ModelChoiceField(
        label=gettext_lazy("Desk"), queryset=Desk.objects.none(), required=False
    )
    company = forms.ModelChoiceField(
        label=gettext_lazy("Company"), queryset=Organization.objects.all(), required=False
    )
    agent = forms.ModelChoiceField(
        label=gettext_lazy("Agent"), queryset=User.objects.none(), required=False
    )
    group_by = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=list(
            zip(
                GROUPINGS,
                [
                    gettext_lazy("desk"),
                    gettext_lazy("company"),
                    gettext_lazy("agent"),
                    gettext_lazy("week"),
                ],
                strict=True,
            )
        ),
    )

    def __init__(self, *args: Any, desk_ids: set[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desks = Desk.objects.all() if desk_ids is None else Desk.objects.filter(pk__in=desk_ids)
        model_choice_field(self, "desk").queryset = desks
        agents = User.objects.filter(is_agent=True, is_active=True)
        if desk_ids is not None:
            agents = agents.filter(desk_memberships__desk_id__in=desk_ids).distinct()
        model_choice_field(self, "agent").queryset = agents.order_by(
            "first_name", "last_name", "email"
        )

    def filters(self) -> ReportFilters:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return ReportFilters(
            start=min(start, end),
            end=max(start, end),
            desk_id=getattr(data.get("desk"), "pk", None),
            organization_id=getattr(data.get("company"), "pk", None),
            agent_id=getattr(data.get("agent"), "pk", None),
            group_by=data.get("group_by") or "desk",
        )


@agent_required
def sla_report_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    desk_ids = report_desk_ids(request.user)
    form = SlaReportForm(request.GET or None, desk_ids=desk_ids)
    try:
        report = sla_report(request.user, form.filters())
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    if request.GET.get("format") == "csv":
        breaches = request.GET.get("part") == "breaches"
        filters = report.filters
        audit_exported(
            actor=request.user,
            what="sla_breaches" if breaches else "sla_report",
            filters={
                "start": filters.start,
                "end": filters.end,
                "desk": filters.desk_id,
                "company": filters.organization_id,
                "agent": filters.agent_id,
                "group_by": filters.group_by,
            },
            obj=Desk.objects.filter(pk=filters.desk_id).first() if filters.desk_id else None,
        )
        return _csv(report, breaches=breaches)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("part", None)
    return render(
        request,
        "sla/report.html",
        {"form": form, "report": report, "query": query.urlencode()},
    )


def _cell(value: object) -> object:
    # A spreadsheet would run a cell that starts like a formula: names are people's input.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(report: SlaReport, *, breaches: bool) -> HttpResponse:
    filters = report.filters
    name = "sla-breaches" if breaches else "sla-report"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"'
    )
    # Excel opens UTF-8 only with a byte-order mark, and splits columns by the regional list
    # separator: ";" where the decimal separator is a comma (Romanian, Czech).
    response.write(CSV_BYTE_ORDER_MARK)
    out = csv.writer(response, delimiter=csv_delimiter())
    out.writerows(_breach_lines(report) if breaches else _summary_lines(report))
    return response


def _breach_lines(report: SlaReport) -> Iterator[list[object]]:
    yield [
        _("Reference"),
        _("Goal"),
        _("Deadline"),
        _("Desk"),
        _("Company"),
        _("Assignee"),
        _("Cause"),
        _("Target (minutes)"),
    ]
    for line in report.breaches:
        yield [
            _cell(line.reference),
            _cell(line.goal),
            timezone.localtime(line.due_at).isoformat(timespec="minutes"),
            _cell(line.desk),
            _cell(line.company),
            _cell(line.assignee),
            _cell(line.cause),
            line.target_minutes,
        ]


def _summary_lines(report: SlaReport) -> Iterator[list[object]]:
    yield [
        _("Group"),
        _("Goals"),
        _("Met"),
        _("Breached"),
        _("Met (%)"),
        _("First response, median (minutes)"),
        _("First response, 90th percentile (minutes)"),
        _("Resolution, median (minutes)"),
        _("Resolution, 90th percentile (minutes)"),
    ]
    for row in [*report.rows, report.total]:
        durations = (
            row.first_response_median,
            row.first_response_p90,
            row.resolution_median,
            row.resolution_p90,
        )
        met = row.met_percent
        yield [
            _cell(row.label),
            row.goals,
            row.met,
            row.breached,
            "" if met is None else formats.number_format(met, use_l10n=True),
            *("" if value is None else int(value.total_seconds() // 60) for value in durations),
        ]


class CsatReportForm(SlaReportForm):
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=Product.objects.all(), required=False
    )
    group_by = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[
            ("agent", gettext_lazy("agent")),
            ("company", gettext_lazy("company")),
            ("product", gettext_lazy("product")),
            ("desk", gettext_lazy("desk")),
            ("week", gettext_lazy("week")),
        ],
    )

    def csat_filters(self) -> CsatFilters:
        period = self.filters()
        data = self.cleaned_data if self.is_valid() else {}
        return CsatFilters(
            start=period.start,
            end=period.end,
            desk_id=period.desk_id,
            organization_id=period.organization_id,
            agent_id=period.agent_id,
            product_id=getattr(data.get("product"), "pk", None),
            group_by=data.get("group_by") or "agent",
        )


@agent_required
def csat_report_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Customer satisfaction for team leads (their desks) and administrators (all desks)."""
    desk_ids = report_desk_ids(request.user)
    if desk_ids is not None and not desk_ids:
        raise PermissionDenied(_("Only team leads see reports."))
    form = CsatReportForm(request.GET or None, desk_ids=desk_ids)
    report = csat_report(desk_ids=desk_ids, filters=form.csat_filters())
    return render(request, "workspace/csat_report.html", {"form": form, "report": report})
