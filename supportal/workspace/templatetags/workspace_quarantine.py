"""The count of quarantined mail in the workspace's navigation."""

from __future__ import annotations

from django import template
from django.db import connections

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


@register.simple_tag(takes_context=True)
def workspace_nav_facts(context: template.Context) -> dict[str, object]:
    """What the navigation shows beside its links, in one query: how many quarantined
    messages the agent may decide, and whether they lead a desk (the "Reports" entry)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"quarantined": 0, "is_team_lead": False}
    user = request.user
    messages = quarantine_list_for_user(user).order_by().values("pk")
    leads = DeskMembership.objects.filter(user=user, role=DeskRole.TEAM_LEAD).values("pk")[:1]
    db = messages.db
    count_sql, count_params = messages.query.get_compiler(using=db).as_sql()
    lead_sql, lead_params = leads.query.get_compiler(using=db).as_sql()
    with connections[db].cursor() as cursor:
        # Compiled querysets: every value in them is a parameter.
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({count_sql}) q), EXISTS({lead_sql})",  # noqa: S608
            [*count_params, *lead_params],
        )
        count, is_lead = cursor.fetchone()
    return {"quarantined": count, "is_team_lead": bool(is_lead) or user.is_superuser}


@register.filter
def quarantine_reason(outcome: dict) -> str:
    """Why a message waits for an agent, in the reader's language."""
    return _quarantine_reason(outcome or {})
