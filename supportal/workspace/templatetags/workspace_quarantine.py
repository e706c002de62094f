"""The count of quarantined mail in the workspace's navigation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import template
from django.db.models import QuerySet

from supportal.accounts.models import User
from supportal.accounts.selectors import StaffKind, staff_kind, staff_stand_in
from supportal.core.paging import counts_at_once
from supportal.core.statements import KeptStatement
from supportal.desks.models import DeskMembership, DeskRole
from supportal.mail.inbound import quarantine_reason as _quarantine_reason
from supportal.mail.quarantine import quarantine_list_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def quarantined_count(context: template.Context) -> int:
    """How many quarantined messages the signed-in agent may decide (one query)."""
    request = context.get("request")
    if request is None:
        return 0
    return quarantine_list_for_user(request.user).count()


def nav_fact_subqueries(user: User) -> list[tuple[str, Sequence[Any]]]:
    """The navigation's two facts as capped subqueries (SQL, parameters) for
    ``core.paging.counts_at_once``: the quarantined messages ``user`` may decide, and their
    team-lead memberships (at most one). Each compiled once per process and kind of user
    (``core.statements.KeptStatement``; docs/performance.md "Eighth round: the agent queue")."""
    kind = staff_kind(user)
    db = DeskMembership.objects.db
    return [_NAV_FACTS.sql((fact, kind), {"user": user.pk}, using=db) for fact in _FACTS]


_FACTS = ("quarantined", "leads")


def _nav_fact_rows(shape: tuple[str, StaffKind], values: Mapping[str, Any]) -> QuerySet:
    fact, kind = shape
    user = staff_stand_in(values["user"], kind)
    if fact == "quarantined":
        return quarantine_list_for_user(user).order_by().values("pk")
    return DeskMembership.objects.filter(user=user, role=DeskRole.TEAM_LEAD).values("pk")[:1]


_NAV_FACTS: KeptStatement[tuple[str, StaffKind], Any] = KeptStatement(_nav_fact_rows)


def nav_facts_of(user: User, counted: Sequence[int]) -> dict[str, object]:
    """The navigation's facts from the counts of ``nav_fact_subqueries``."""
    count, leads = counted
    return {"quarantined": count, "is_team_lead": bool(leads) or user.is_superuser}


@register.simple_tag(takes_context=True)
def workspace_nav_facts(context: template.Context) -> dict[str, object]:
    """What the navigation shows beside its links, in one query: how many quarantined
    messages the agent may decide, and whether they lead a desk (the "Reports" entry). A page
    that counted them with its own counts passes them as ``nav_facts`` (the queue page:
    docs/performance.md, "Sixth round")."""
    known = context.get("nav_facts")
    if known is not None:
        return known
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"quarantined": 0, "is_team_lead": False}
    user = request.user
    subqueries = nav_fact_subqueries(user)
    return nav_facts_of(user, counts_at_once(DeskMembership.objects.db, subqueries))


@register.filter
def quarantine_reason(outcome: dict) -> str:
    """Why a message waits for an agent, in the reader's language."""
    return _quarantine_reason(outcome or {})
