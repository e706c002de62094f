"""The SLA panel's HTML, written in Python: what ``{% sla_panel %}`` puts on the customer's
request page and the agent's ticket page (docs/performance.md, "Ninth round: the request page
and the ticket page").

The markup is what the template ``sla/_panel.html`` wrote, byte for byte, without its nodes (kept
in portal/tests/reference/ as the reference of test_ninth_round_pages.py):
instants in the panel's time zone, durations as ``working_duration`` writes them. Escaped by
construction: every value passes through ``value_html`` (core/markup.py, what the template
engine does with ``{{ value }}``); the rest is this module's markup and the translations of its
messages, as ``{% translate %}`` writes them.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from supportal.core.markup import time_html, value_html
from supportal.sla.selectors import GoalLine, SlaPanel, duration_text


def sla_panel_html(sla: SlaPanel | None) -> SafeString:
    """The panel's ``<section>``; a line break alone when the request has no goal (``sla``
    None), as the template wrote."""
    if not sla:
        return mark_safe("\n")
    with timezone.override(sla.time_zone):
        goals = "".join(_goal(goal) for goal in sla.goals)
        reply = _reply(sla) if sla.reply else ""
        zone = _("Times in %(zone)s. Only working time counts.") % {
            "zone": value_html(sla.time_zone)
        }
    html = (
        '\n<section class="card sla-panel" aria-labelledby="sla-heading">\n'
        f'  <h2 id="sla-heading">{_("SLA")}</h2>\n  {goals}\n  {reply}\n'
        f'  <p class="muted">{zone}</p>\n</section>\n\n'
    )
    return mark_safe(html)  # noqa: S308 - every value above is escaped


def _duration(value: object) -> str:
    return value_html("" if value is None else duration_text(value))  # type: ignore[arg-type]


def _goal(goal: GoalLine) -> str:
    history = "".join(
        f"\n        <li>{time_html(line.at)} {value_html(line.text)}</li>" for line in goal.history
    )
    return (
        f'\n  <div class="sla-goal sla-{value_html(goal.goal)} sla-state-{value_html(goal.state)}">'
        f'\n    <h3>{value_html(goal.name)}</h3>\n    <dl class="fields">'
        f"\n      <dt>{_('Target')}</dt><dd>{_duration(goal.target_duration)} "
        f"{_('of working time')}</dd>"
        f"\n      <dt>{_('Used')}</dt><dd>{_duration(goal.used_duration)}</dd>"
        f"\n      {_late_or_left(goal)}"
        f'\n      <dt>{_("Clock")}</dt><dd><span class="status">{value_html(goal.status_text)}'
        f"</span></dd>\n      {_deadline(goal)}\n    </dl>\n    <details>"
        f'\n      <summary class="muted">{_("Why this deadline")}</summary>'
        f'\n      <ul class="timeline">{history}\n      </ul>\n    </details>\n  </div>\n  '
    )


def _late_or_left(goal: GoalLine) -> str:
    if goal.is_overdue:
        label = _("Late by") if goal.state == "met" else _("Overdue")
        if goal.overdue_duration.total_seconds() >= 60:
            late = _duration(goal.overdue_duration)
        else:
            late = _("less than a minute of working time")
        return f'\n      <dt>{label}</dt><dd class="waiting-reason">{late}</dd>\n      '
    if goal.state in ("running", "paused"):
        return (
            f"\n      <dt>{_('Remaining')}</dt><dd>{_duration(goal.remaining_duration)}</dd>"
            "\n      "
        )
    return ""


def _deadline(goal: GoalLine) -> str:
    if goal.deadline_at:
        return f"\n      <dt>{_('Deadline')}</dt><dd>{time_html(goal.deadline_at)}</dd>\n      "
    if goal.state == "paused":
        return (
            f'\n      <dt>{_("Deadline")}</dt><dd class="muted">'
            f"{_('set again when the clock resumes')}</dd>\n      "
        )
    if goal.stopped_at:
        return f"\n      <dt>{_('Ended')}</dt><dd>{time_html(goal.stopped_at)}</dd>\n      "
    return ""


def _reply(sla: SlaPanel) -> str:
    reply = sla.reply
    assert reply is not None
    expected = ""
    if reply.deadline_at:
        label = _("Expected by") if sla.is_for_customer else _("Customer's answer expected by")
        overdue = ""
        if reply.is_overdue:
            overdue = f' <span class="waiting-reason">({_("overdue")})</span>'
        expected = f"\n    <p>{label}\n      {time_html(reply.deadline_at)}{overdue}</p>\n    "
    return (
        f'\n  <div class="sla-goal sla-customer-reply">\n    <h3>{value_html(reply.name)}</h3>'
        f"\n    {expected}\n  </div>\n  "
    )
