"""The agent queue's rows: read with ``.values()`` in the columns a row shows, written as HTML
in Python (docs/performance.md, "List rows").

Every value goes through ``format_html``, so a summary or a name typed as markup is shown as
text (``workspace/tests/test_queue_rows.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

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
    """Writes rows of one page: what is the same for every row is looked up once."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.format = RowFormat()
        self.ticket_url = url_maker("workspace:ticket")
        self.status_labels = {status.value: str(status.label) for status in Status}
        self.next_deadline = _("Next deadline")

    def row(self, values: Mapping[str, Any]) -> QueueRow:
        sla = queue_sla(values, now=self.now)
        reference = values["reference"]
        return QueueRow(
            pk=values["pk"],
            reference=reference,
            sla=sla,
            html=format_html(
                "<tr data-row>"
                '<td><input type="checkbox" name="ticket" value="{}" form="bulk"'
                ' aria-label="{}"></td>'
                '<td class="ref"><a href="{}">{}</a></td>'
                '<td class="one-line" title="{}">{}</td>'
                "{}{}"
                '<td class="one-line">{}</td>'
                '<td class="one-line">{}</td>'
                '<td class="cell-chip">{}</td>'
                '<td class="one-line"><time datetime="{}" title="{}">{}</time></td>'
                "</tr>",
                values["pk"],
                _("Select %(reference)s") % {"reference": reference},
                self.ticket_url(reference),
                reference,
                values["summary"],
                values["summary"],
                self._requester(values),
                self._status(values["status"]),
                name_of(values, "priority__name") or _DASH,
                person_name(values, "assignee") or _DASH,
                self._sla(sla),
                self.format.iso(values["updated_at"]),
                self.format.short(values["updated_at"]),
                self.format.natural(values["updated_at"]),
            ),
        )

    def _requester(self, values: Mapping[str, Any]) -> SafeString:
        name = person_name(values, "requester")
        company = values["organization__name"]
        email = values["requester__email"]
        if company:
            return format_html(
                '<td class="one-line" title="{} · {} <{}>">{} <span class="muted">· {}</span></td>',
                name,
                company,
                email,
                name,
                company,
            )
        return format_html('<td class="one-line" title="{} <{}>">{}</td>', name, email, name)

    def _status(self, status: str) -> SafeString:
        label = self.status_labels.get(status, status)
        return format_html(
            '<td class="cell-chip"><span class="status status-{}" title="{}">{}</span></td>',
            status,
            label,
            label,
        )

    def _sla(self, sla: QueueSla | None) -> SafeString:
        if sla is None:
            return format_html('<span class="muted">{}</span>', _DASH)
        if sla.deadline_at:
            return format_html(
                '<span class="sla sla-{}" title="{} · {}: {}">{}</span>',
                sla.state,
                sla.text,
                self.next_deadline,
                self.format.short(sla.deadline_at),
                sla.text,
            )
        return format_html('<span class="sla sla-{}">{}</span>', sla.state, sla.text)


def queue_rows(rows: Iterable[Mapping[str, Any]], *, now: dt.datetime) -> list[QueueRow]:
    """The rows of a queue page, from the ``.values(*QUEUE_VALUES)`` of its tickets."""
    writer = _Writer(now)
    return [writer.row(values) for values in rows]
