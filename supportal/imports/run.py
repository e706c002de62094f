"""One import run: a source's records through the writer, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TextIO

from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk
from supportal.imports.records import ImportSource, Record, Request
from supportal.imports.report import ImportReport
from supportal.imports.writer import ImportWriter
from supportal.tickets.workflow import Status


def statuses_parse(values: list[str], defaults: Mapping[str, Status]) -> dict[str, Status]:
    """The source's mapping with the administrator's ``NAME=STATUS`` changes applied."""
    mapping = dict(defaults)
    for value in values:
        name, sep, target = value.rpartition("=")
        target = target.strip().lower().replace(" ", "_")
        if not sep or not name.strip() or target not in Status.values:
            raise InvalidInput(
                _("“%(value)s”: write NAME=STATUS, STATUS one of %(statuses)s.")
                % {"value": value, "statuses": ", ".join(Status.values)},
                field="status",
            )
        mapping[name.strip()] = Status(target)
    return mapping


def priorities_parse(values: list[str]) -> dict[str, str]:
    """The administrator's ``SOURCE=OURS`` priority mapping (``OURS`` a priority's name)."""
    mapping = {}
    for value in values:
        name, sep, target = value.rpartition("=")
        if not sep or not name.strip() or not target.strip():
            raise InvalidInput(
                _("“%(value)s”: write NAME=PRIORITY.") % {"value": value}, field="priority"
            )
        mapping[name.strip()] = target.strip()
    return mapping


def _counted(
    records: Iterator[Record], progress: Progress | None, total: int | None
) -> Iterator[Record]:
    if progress is None:
        yield from records
        return
    task = progress.add_task(_("Requests"), total=total)
    for record in records:
        yield record
        if isinstance(record, Request):
            progress.advance(task)


def import_run(
    source: ImportSource,
    *,
    desk: Desk,
    statuses: Mapping[str, Status],
    dry_run: bool = False,
    keep_numbers: bool = False,
    progress_to: TextIO | None = None,
    priorities: Mapping[str, str] | None = None,
    desks: Mapping[str, Desk] | None = None,
    types: Mapping[str, str] | None = None,
) -> ImportReport:
    """Import everything ``source`` yields into ``desk`` (or count it, in a dry run); a
    progress bar on ``progress_to`` when given; ``desks`` maps the source's groups onto other
    desks than ``desk``, ``types`` its request types onto ours by name. Returns the report."""
    writer = ImportWriter(
        source=source.name,
        desk=desk,
        statuses=statuses,
        dry_run=dry_run,
        keep_numbers=keep_numbers,
        priorities=priorities,
        desks=desks,
        types=types,
    )
    if progress_to is None:
        return writer.write_all(source.records())
    total = getattr(source, "total", None)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=progress_to)) as progress:
        return writer.write_all(_counted(source.records(), progress, total))
