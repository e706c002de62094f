"""The agent queue's rows: read with ``.values()`` in the columns a row shows, written as HTML
in Python (docs/performance.md, "List rows").

Every value is escaped (``html.escape``, as ``format_html`` escapes its arguments), so a summary
or a name typed as markup is shown as text (``workspace/tests/test_queue_rows.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from modeltranslation.utils import get_language

from supportal.core.rows import (
    RowFormat,
    name_columns,
    name_of,
    person_columns,
    person_name,
    url_maker,
)
from supportal.sla.selectors import QueueSla, queue_sla
from supportal.tickets.workflow import Status

# Only what a row shows (and what its keyset needs): no details, no password hashes.
QUEUE_VALUES = (
    "pk",
    "reference",
    "summary",
    "status",
    "created_at",
    "updated_at",
    *name_columns("priority__name"),
    *person_columns("requester"),
    "organization__name",
    *person_columns("assignee"),
    "sla_deadline_at",
    "sla_warn_at",
    "sla_paused_clock_id",
)

_DASH = "—"


@dataclass(frozen=True, slots=True)
class QueueRow:
    pk: int
    reference: str
    sla: QueueSla | None
    html: SafeString


class _Writer:
    """Writes rows of one page: what is the same for every row is looked up once.

    Every value is escaped with ``html.escape``, what ``format_html`` calls for a value that
    is not already safe, without its per-argument lazy-string checks: 50 rows of 20 values
    spent a third of the page's CPU there (docs/performance.md, "Sixth round").
    """

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.format = RowFormat()
        self.ticket_url = url_maker("workspace:ticket")
        self.status_labels = {status.value: escape(str(status.label)) for status in Status}
        self.next_deadline = escape(_("Next deadline"))
        self.select_label = _("Select %(reference)s")
        self.dash = escape(_DASH)
        self.language = get_language()
        self.translated: dict[str, str] = {}

    def translate(self, message: str) -> str:
        """``gettext``, each message translated once per list: the SLA column asked for two
        translations a row (docs/performance.md, "Eleventh round: the agent queue")."""
        text = self.translated.get(message)
        if text is None:
            text = self.translated[message] = _(message)
        return text

    def row(self, values: Mapping[str, Any]) -> QueueRow:
        sla = queue_sla(values, now=self.now, translate=self.translate)
        reference = values["reference"]
        ref = escape(reference)
        summary = escape(values["summary"])
        updated_at = values["updated_at"]
        priority = name_of(values, "priority__name", language=self.language)
        html = (
            "<tr data-row>"
            f'<td><input type="checkbox" name="ticket" value="{escape(str(values["pk"]))}"'
            f' form="bulk" aria-label="{escape(self.select_label % {"reference": reference})}">'
            "</td>"
            f'<td class="ref"><a href="{escape(self.ticket_url(reference))}">{ref}</a></td>'
            f'<td class="one-line" title="{summary}">{summary}</td>'
            f"{self._requester(values)}{self._status(values['status'])}"
            f'<td class="one-line">{self._text(priority)}</td>'
            f'<td class="one-line">{self._text(person_name(values, "assignee"))}</td>'
            f'<td class="cell-chip">{self._sla(sla)}</td>'
            f'<td class="one-line"><time datetime="{escape(self.format.iso(updated_at))}"'
            f' title="{escape(self.format.short(updated_at))}">'
            f"{escape(self.format.natural(updated_at))}</time></td>"
            "</tr>"
        )
        return QueueRow(
            pk=values["pk"],
            reference=reference,
            sla=sla,
            html=SafeString(html),  # every value in it is escaped (mark_safe, without its checks)
        )

    def _text(self, value: str) -> str:
        return escape(value) if value else self.dash

    def _requester(self, values: Mapping[str, Any]) -> str:
        name = escape(person_name(values, "requester"))
        company = values["organization__name"]
        email = escape(values["requester__email"])
        if company:
            company = escape(company)
            return (
                f'<td class="one-line" title="{name} · {company} <{email}>">{name}'
                f' <span class="muted">· {company}</span></td>'
            )
        return f'<td class="one-line" title="{name} <{email}>">{name}</td>'

    def _status(self, status: str) -> str:
        label = self.status_labels.get(status)
        if label is None:
            label = escape(status)
        return (
            f'<td class="cell-chip"><span class="status status-{escape(status)}"'
            f' title="{label}">{label}</span></td>'
        )

    def _sla(self, sla: QueueSla | None) -> str:
        if sla is None:
            return f'<span class="muted">{self.dash}</span>'
        text = escape(str(sla.text))
        if sla.deadline_at:
            return (
                f'<span class="sla sla-{escape(str(sla.state))}" title="{text} · '
                f'{self.next_deadline}: {escape(self.format.short(sla.deadline_at))}">'
                f"{text}</span>"
            )
        return f'<span class="sla sla-{escape(str(sla.state))}">{text}</span>'


def queue_rows(rows: Iterable[Mapping[str, Any]], *, now: dt.datetime) -> list[QueueRow]:
    """The rows of a queue page, from the ``.values(*QUEUE_VALUES)`` of its tickets."""
    writer = _Writer(now)
    return [writer.row(values) for values in rows]
