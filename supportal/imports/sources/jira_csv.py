"""Jira's CSV export (Jira Service Desk / Service Management, Server, Data Center and Cloud),
for firms that can only export (docs/import.md#jiras-csv-export).

The export has one row per issue and repeats a column for each of its values: ``Comment``
(``when;author;text``), ``Attachment`` (``when;author;file name;address``) and ``Request
participants``. It says nothing of a comment's visibility: comments of the desk's agents are
internal notes unless ``agent_comments_public``, the requester's and the participants' are
public. The agents are the issues' assignees, the people who resolved issues, and the
``agents`` the administrator names. People are known by the names the export writes (Server:
user names, Cloud: display names); ``emails`` gives their addresses (an ``@`` in the name is
taken as one), and someone with none gets an inactive account that receives no mail.

The file is read twice, streaming: first the people, then the requests one row at a time.
Files are fetched from their address only when written, with the user and token when given.
Times are read in ``time_zone`` (the exporting user's zone); the export has no status history,
so a resolved request gets one status change, at its ``Resolved`` time.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from supportal.imports.http import JsonClient, SourceError
from supportal.imports.records import (
    Attachment,
    Comment,
    FieldValue,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.imports.sources.jira import STATUSES, _mentions
from supportal.tickets.workflow import Status

# The formats Jira writes dates in: its default (dd/MMM/yy h:mm a) and the usual
# administrator choices (Jira's "look and feel" date settings).
_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
_MULTI = ("Comment", "Attachment", "Request participants")
# Jira Service Desk writes the participants and the request type as custom fields.
_ALIASES = {
    "Custom field (Request participants)": "Request participants",
    "Custom field (Customer Request Type)": "Customer Request Type",
}
_CUSTOM = "Custom field ("
# The service desk's own fields: not the desk's custom fields (SLAs, ratings, organizations).
_NOT_IMPORTED = {
    "Organizations",
    "Satisfaction",
    "Satisfaction date",
    "Time to first response",
    "Time to resolution",
    "Time to close after resolution",
    "Request language",
    "Approvals",
    "Approvers",
    "Rank",
    "Sentiment",
}
# Jira's duplicate link, from the issue that duplicates the other (its outward issue).
_DUPLICATE = "Outward issue link (Duplicate)"


def emails_read(path: str) -> dict[str, str]:
    """People's addresses from a CSV file of ``name,email`` rows (Jira's user export has
    more columns: the first holding a name and the one holding an address are used)."""
    _csv_limit()
    emails = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for row in csv.reader(handle):
                address = next((cell.strip() for cell in row if "@" in cell), "")
                names = [cell.strip() for cell in row if cell.strip() and "@" not in cell]
                for name in names[:2]:  # Jira's user export: the id, then the user's name
                    if address:
                        emails[name] = address
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    return emails


def _csv_limit() -> None:
    # A comment or description of a long history can exceed csv's default field limit.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class JiraCsvSource:
    path: str
    project: str = ""
    time_zone: str = "UTC"
    agent_comments_public: bool = False
    agents: frozenset[str] = frozenset()
    emails: Mapping[str, str] = field(default_factory=dict)
    base_url: str = ""
    user: str = ""
    token: str = ""
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUSES))
    total: int | None = field(default=None, init=False)
    _agents: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        _csv_limit()
        if not Path(self.path).is_file():
            raise SourceError(f"{self.path}: no such file")
        try:
            self.zone = ZoneInfo(self.time_zone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise SourceError(f"{self.time_zone}: not a time zone (e.g. Europe/Bucharest)") from exc
        self.client = JsonClient(self.base_url or "http://localhost", self.user, self.token)
        header, first = self._head()
        missing = [
            name for name in ("Summary", "Issue key", "Status", "Created") if name not in header
        ]
        if missing:
            raise SourceError(
                f"{self.path}: not a Jira CSV export (no column {', '.join(missing)})"
            )
        if not self.project:
            self.project = first.get("Project key") or first.get("Issue key", "").split("-")[0]
        self.project = self.project.upper()

    @property
    def name(self) -> str:
        return f"jira-csv:{self.project}"

    # -- reading ------------------------------------------------------------------------------

    def _open(self):
        # Jira writes UTF-8 with a byte order mark.
        return open(self.path, newline="", encoding="utf-8-sig")

    def _head(self) -> tuple[list[str], dict[str, str]]:
        with self._open() as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            first = next(reader, [])
        return header, dict(zip(header, first, strict=False))

    def _rows(self) -> Iterator[tuple[dict[str, str], dict[str, list[str]]]]:
        """Each issue: its single columns, and the repeated ones with their non-empty values."""
        with self._open() as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            for row in reader:
                single: dict[str, str] = {}
                multi: dict[str, list[str]] = {name: [] for name in _MULTI}
                for name, value in zip(header, row, strict=False):
                    name = _ALIASES.get(name, name)
                    if name.startswith(_CUSTOM) or name == _DUPLICATE:
                        multi.setdefault(name, [])  # a multiple choice repeats its column
                    if name in multi:
                        if value.strip():
                            multi[name].append(value)
                    else:
                        single.setdefault(name, value)
                if single.get("Issue key", "").upper().startswith(f"{self.project}-"):
                    yield single, multi

    def _instant(self, value: str) -> dt.datetime | None:
        value = " ".join((value or "").split())
        if not value:
            return None
        for form in _FORMATS:
            try:
                return dt.datetime.strptime(value, form).replace(tzinfo=self.zone)
            except ValueError:
                continue
        raise SourceError(f"{self.path}: “{value}” is not a date Jira writes")

    # -- people -------------------------------------------------------------------------------

    def _person(self, name: str) -> Person:
        email = self.emails.get(name) or (name if "@" in name else "")
        return Person(
            source_id=name,
            email=email,
            name=name if "@" not in name else "",
            is_agent=name in self._agents,
        )

    def records(self) -> Iterator[Record]:
        people: set[str] = set()
        self._agents = set(self.agents)
        total = 0
        for single, multi in self._rows():
            total += 1
            for role in ("Assignee", "Resolver"):
                if single.get(role):
                    self._agents.add(single[role])
            people.update(v for v in (single.get("Reporter"), single.get("Assignee")) if v)
            people.update(multi["Request participants"])
            for value in multi["Comment"] + multi["Attachment"]:
                parts = value.split(";", 2)
                if len(parts) > 1 and parts[1]:
                    people.add(parts[1])
        self.total = total
        for name in sorted(people):
            yield self._person(name)
        for single, multi in self._rows():
            yield self._request(single, multi)

    # -- requests -----------------------------------------------------------------------------

    def _attachment(self, issue_id: str, value: str) -> tuple[str, Attachment]:
        _when, author, name, url = ([*value.split(";", 3), "", "", ""])[:4]
        return author, Attachment(
            source_id=f"{issue_id}/file/{url or name}",
            name=name,
            size=0,  # the export does not say
            fetch=lambda: self.client.fetch(url)[0],
        )

    def _comments(
        self,
        issue_id: str,
        values: list[str],
        files: dict[str, list[Attachment]],
        participants: set[str],
        created: dt.datetime,
    ) -> list[Comment]:
        """The issue's comments; each takes the files it names out of ``files``."""
        comments: list[Comment] = []
        seen: dict[tuple[str, str], int] = {}
        for value in values:
            when, author, body = ([*value.split(";", 2), "", ""])[:3]
            at = self._instant(when) or created
            n = seen[(when, author)] = seen.get((when, author), 0) + 1
            # The export does not say: the desk's agents wrote internal notes, unless told.
            is_agent_note = author in self._agents and author not in participants
            is_public = self.agent_comments_public or not is_agent_note
            # A file belongs to the comment that names it ([^name] or !name!), as via the API.
            named = [
                item for name, items in files.items() if _mentions(body, name) for item in items
            ]
            for item in named:
                files[item.name] = [f for f in files[item.name] if f is not item]
            comments.append(
                Comment(
                    source_id=f"{issue_id}/comment/{when}/{author}/{n}",
                    author_id=author or None,
                    body=body,
                    is_public=is_public,
                    created_at=at,
                    attachments=tuple(named),
                )
            )
        return comments

    def _request(self, single: dict[str, str], multi: dict[str, list[str]]) -> Request:
        key = single["Issue key"].upper()
        issue_id = single.get("Issue id") or key
        reporter = single.get("Reporter") or single.get("Creator") or ""
        participants = set(multi["Request participants"]) | {reporter}
        created = self._instant(single["Created"])
        if created is None:
            raise SourceError(f"{key}: no creation time")
        files: dict[str, list[Attachment]] = {}
        for value in multi["Attachment"]:
            _author, item = self._attachment(issue_id, value)
            files.setdefault(item.name, []).append(item)
        comments = self._comments(issue_id, multi["Comment"], files, participants, created)
        resolved = self._instant(single.get("Resolved", ""))
        status = single.get("Status", "")
        changes: tuple[StatusChange, ...] = ()
        if resolved is not None and self.statuses.get(status) in (Status.RESOLVED, Status.CLOSED):
            changes = (
                StatusChange(
                    f"{issue_id}/resolved", status, resolved, single.get("Assignee") or None
                ),
            )
        updated = self._instant(single.get("Updated", "")) or resolved or created
        number = key.rpartition("-")[2]
        is_duplicate = single.get("Resolution", "").casefold() == "duplicate"
        duplicate = (multi.get(_DUPLICATE) or [""])[0].strip().upper() if is_duplicate else ""
        return Request(
            source_id=issue_id,
            key=key.rpartition("-")[0],
            number=int(number) if number.isdigit() else None,
            summary=single.get("Summary", ""),
            details=single.get("Description", "").replace("\r\n", "\n"),
            requester_id=reporter,
            assignee_id=single.get("Assignee") or None,
            participant_ids=tuple(sorted(set(multi["Request participants"]) - {reporter})),
            created_at=created,
            updated_at=updated,
            status=status,
            comments=tuple(comments),
            attachments=tuple(item for items in files.values() for item in items),
            status_changes=changes,
            resolution=single.get("Resolution", ""),
            old_links=(key,),
            priority=single.get("Priority", ""),
            group=single.get("Project name") or self.project,
            request_type=single.get("Customer Request Type", ""),
            custom_fields=_custom_values(multi),
            merged_into=duplicate,
            merged_into_label=duplicate,
        )


def _custom_values(multi: Mapping[str, list[str]]) -> tuple[FieldValue, ...]:
    """The ``Custom field (X)`` columns with a value, as text: the export does not say a
    field's type (a multiple choice repeats its column: its values are joined)."""
    values = []
    for column, items in multi.items():
        label = column.removeprefix(_CUSTOM).removesuffix(")")
        if column.startswith(_CUSTOM) and items and label not in _NOT_IMPORTED:
            values.append(FieldValue(label, "text", ", ".join(v.strip() for v in items)))
    return tuple(values)
