"""The live channel's script tag for the queue and ticket pages (workspace/live.py)."""

from __future__ import annotations

from django import template

from supportal.workspace import live

register = template.Library()


@register.inclusion_tag("workspace/_live.html")
def live_script() -> dict[str, object]:
    return {"live_mode": live.live_mode(), "live_poll_seconds": live.POLL_SECONDS}
