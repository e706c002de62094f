"""The audit log page (docs/audit.md): administrators read every entry, team leads their
desks'; filters by person, action, period and object; newest first, a page at a time by
keyset; the same selection as CSV."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.audit import selectors
from supportal.audit.models import Action, AuditEntry
from supportal.audit.services import audit_exported, json_safe
from supportal.core.formats import CSV_BYTE_ORDER_MARK, csv_delimiter
from supportal.desks.models import DeskMembership, DeskRole
from supportal.workspace.views.common import agent_required


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=254)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("Any")), *Action.choices],
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    object_text = forms.CharField(
        label=gettext_lazy("Object"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("A name, or a type and id such as accounts.user:12"),
    )

    def audit_filter(self) -> selectors.AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        zone = timezone.get_current_timezone()

        def start(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time.min, tzinfo=zone) if day else None

        until = data.get("until")
        return selectors.AuditFilter(
            person=data.get("person", ""),
            action=data.get("action", ""),
            since=start(data.get("since")),
            until=start(until + dt.timedelta(days=1)) if until else None,
            object_text=data.get("object_text", ""),
        )


def _visible(request: AuthenticatedHttpRequest):
    led = DeskMembership.objects.filter(user=request.user, role=DeskRole.TEAM_LEAD).values_list(
        "desk_id", flat=True
    )
    is_admin = request.user.is_superuser
    if not is_admin and not led.exists():
        raise Http404
    return selectors.audit_entries_visible(is_admin=is_admin, desk_ids=list(led))


@agent_required
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    entries = _visible(request)
    form = AuditFilterForm(request.GET or None)
    entries = selectors.audit_entries_filter(entries, form.audit_filter())
    try:
        after_id = int(request.GET.get("after", "")) or None
    except ValueError:
        after_id = None
    rows, next_after = selectors.audit_page(entries, after_id=after_id)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "entries": rows,
        "next_after": next_after,
        "query": query.urlencode(),
        "is_first_page": after_id is None,
    }
    return render(request, "workspace/audit_log.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@agent_required
def audit_log_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = selectors.audit_entries_filter(_visible(request), form.audit_filter())
    audit_exported(
        actor=request.user,
        what="audit_log",
        filters={key: value for key, value in request.GET.items() if key in form.fields},
    )
    # Excel-ready like the SLA report's (docs/languages.md, "Numbers, sizes, dates").
    writer = csv.writer(_Echo(), delimiter=csv_delimiter())
    header = [
        _("When"),
        _("Who"),
        _("API token"),
        _("Action"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Before"),
        _("After"),
        _("IP address"),
        _("User agent"),
    ]

    def lines():
        yield CSV_BYTE_ORDER_MARK + writer.writerow(header)
        for entry in selectors.audit_export_rows(entries):
            yield writer.writerow(_csv_row(entry))

    response: Any = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _csv_row(entry: AuditEntry) -> list[str]:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: quoted with '.
    cells = [
        entry.created_at.isoformat(),
        entry.actor_label,
        entry.token_label,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_label,
        json_safe(entry.before),
        json_safe(entry.after),
        entry.ip or "",
        entry.user_agent,
    ]
    return ["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in cells]
