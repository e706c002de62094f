"""The rows of the customer's request lists: read with ``.values()`` in the columns a row shows,
written as HTML in Python (docs/performance.md, "List rows").

Every value goes through ``format_html``, so a summary or a name typed as markup is shown as
text (``portal/tests/test_list_rows.py``).
"""

from __future__ import annotations

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
from supportal.tickets.workflow import Status

# Only what a row shows (and what its sort and keyset need): the details (up to 8,000
# characters) and the requester's password hash stay in the database.
LIST_VALUES = (
    "pk",
    "reference",
    "summary",
    "status",
    "updated_at",
    *name_columns("desk__name"),
    *person_columns("requester"),
    *name_columns("request_type__name"),
)

_DASH = "—"


@dataclass(frozen=True, slots=True)
class ListRow:
    pk: int
    reference: str
    html: SafeString


class _Writer:
    def __init__(self) -> None:
        self.format = RowFormat()
        self.request_url = url_maker("portal:request")
        self.status_labels = {status.value: str(status.label) for status in Status}
        self.labels = [
            _("Reference"),
            _("Summary"),
            _("Desk"),
            _("Status"),
            _("Requester"),
            _("Type"),
            _("Last update"),
        ]

    def row(self, values: Mapping[str, Any]) -> ListRow:
        reference = values["reference"]
        status = values["status"]
        updated_at = values["updated_at"]
        labels = self.labels
        return ListRow(
            pk=values["pk"],
            reference=reference,
            html=format_html(
                "<tr>"
                '<td data-label="{}"><a href="{}">{}</a></td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}"><span class="status status-{}">{}</span></td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}"><time datetime="{}">{}</time></td>'
                "</tr>",
                labels[0],
                self.request_url(reference),
                reference,
                labels[1],
                values["summary"],
                labels[2],
                name_of(values, "desk__name"),
                labels[3],
                status,
                self.status_labels.get(status, status),
                labels[4],
                person_name(values, "requester"),
                labels[5],
                name_of(values, "request_type__name") or _DASH,
                labels[6],
                self.format.iso(updated_at),
                self.format.short(updated_at),
            ),
        )


def list_rows(rows: Iterable[Mapping[str, Any]]) -> list[ListRow]:
    """The rows of a list page, from the ``.values(*LIST_VALUES)`` of its tickets."""
    writer = _Writer()
    return [writer.row(values) for values in rows]
