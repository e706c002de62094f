"""The agent queue page's own markup, written in Python (workspace/queue_html.py)."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString

from supportal.workspace.queue_html import queue_content_html

register = template.Library()


@register.simple_tag(takes_context=True)
def queue_content(context: Context) -> SafeString:
    """The queue view's page from its context, with the page's own CSRF token (the logout
    form's): what ``workspace/queue.html`` wrote (docs/performance.md, "Tenth round: the agent
    queue")."""
    return queue_content_html(context)
