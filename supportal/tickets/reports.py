"""Customer satisfaction (CSAT) for team leads: the ratings customers gave resolved requests,
grouped by agent, company, product, desk or week, with the latest messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.core.routers import reporting_database
from supportal.tickets.models import Feedback

GROUPINGS = ("agent", "company", "product", "desk", "week")
SATISFIED_RATING = 4  # 4 or 5 stars count as satisfied
RECENT_FEEDBACK = 50

_GROUP_FIELDS = {
    "agent": ("ticket__assignee_id", "ticket__assignee__first_name", "ticket__assignee__last_name"),
    "company": ("ticket__organization_id", "ticket__organization__name", None),
    "product": ("ticket__product_id", "ticket__product__name", None),
    "desk": ("ticket__desk_id", "ticket__desk__name", None),
}


@dataclass(frozen=True)
class CsatFilters:
    start: dt.date
    end: dt.date
    desk_id: int | None = None
    organization_id: int | None = None
    agent_id: int | None = None
    product_id: int | None = None
    group_by: str = "agent"


@dataclass(frozen=True)
class CsatRow:
    label: str
    count: int
    average: float | None
    satisfied_percent: float | None
    low: int


@dataclass(frozen=True)
class CsatReport:
    filters: CsatFilters
    rows: tuple[CsatRow, ...]
    total: CsatRow
    recent: tuple[Feedback, ...]


def _feedback(desk_ids: set[int] | None, filters: CsatFilters) -> QuerySet[Feedback]:
    zone = timezone.get_current_timezone()
    start_at = dt.datetime.combine(filters.start, dt.time(), tzinfo=zone)
    end_at = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    rows = Feedback.objects.using(reporting_database()).filter(
        created_at__gte=start_at, created_at__lt=end_at
    )
    if desk_ids is not None:
        rows = rows.filter(ticket__desk_id__in=desk_ids)
    for field, value in (
        ("ticket__desk_id", filters.desk_id),
        ("ticket__organization_id", filters.organization_id),
        ("ticket__assignee_id", filters.agent_id),
        ("ticket__product_id", filters.product_id),
    ):
        if value is not None:
            rows = rows.filter(**{field: value})
    return rows


_MEASURES = {
    "count": Count("pk"),
    "average": Avg("rating"),
    "satisfied": Count("pk", filter=Q(rating__gte=SATISFIED_RATING)),
    "low": Count("pk", filter=Q(rating__lte=Feedback.LOW_RATING)),
}


def _row(label: str, values: Mapping[str, Any]) -> CsatRow:
    count = values["count"] or 0
    return CsatRow(
        label=label,
        count=count,
        average=round(values["average"], 2) if values["average"] is not None else None,
        satisfied_percent=round(100 * values["satisfied"] / count, 1) if count else None,
        low=values["low"] or 0,
    )


def csat_report(*, desk_ids: set[int] | None, filters: CsatFilters) -> CsatReport:
    """The ratings given in the period on the desks ``desk_ids`` (None: every desk), grouped;
    three queries whatever the number of rows. Reads only."""
    rows = _feedback(desk_ids, filters)
    grouped: list[CsatRow] = []
    if filters.group_by == "week":
        for values in (
            rows.annotate(week=TruncWeek("created_at"))
            .values("week")
            .annotate(**_MEASURES)
            .order_by("week")
        ):
            grouped.append(_row(values["week"].date().isoformat(), values))
    else:
        key, name, last_name = _GROUP_FIELDS.get(filters.group_by, _GROUP_FIELDS["agent"])
        names = [key, name] + ([last_name] if last_name else [])
        for values in (
            rows.values(*names).annotate(**_MEASURES).order_by(F(name).asc(nulls_last=True))
        ):
            label = " ".join(str(values[n]) for n in names[1:] if values[n]).strip()
            grouped.append(_row(label or _("(none)"), values))
    total = _row(_("Total"), rows.aggregate(**_MEASURES))
    recent = tuple(
        rows.select_related(
            "ticket", "ticket__assignee", "ticket__organization", "given_by"
        ).order_by("-created_at", "-pk")[:RECENT_FEEDBACK]
    )
    return CsatReport(filters=filters, rows=tuple(grouped), total=total, recent=recent)
