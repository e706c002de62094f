"""The count of quarantined mail in the workspace's navigation."""

from __future__ import annotations

from django import template

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


@register.filter
def quarantine_reason(outcome: dict) -> str:
    """Why a message waits for an agent, in the reader's language."""
    return _quarantine_reason(outcome or {})
