"""osTicket 1.17 / 1.18, read straight from its MySQL or MariaDB database (docs/import.md#osticket).

The connection is read-only (``SET SESSION TRANSACTION READ ONLY``): organizations
(``ost_organization``), users with their primary address (``ost_user``, ``ost_user_email``),
staff (``ost_staff``), then the tickets oldest first (``ost_ticket`` with the subject from
``ost_ticket__cdata`` and the status from ``ost_ticket_status``), each with its thread
(``ost_thread`` of object type ``T``, entries in ``ost_thread_entry``: ``M`` a message from the
user, ``R`` a response from staff, ``N`` an internal note) and the files of its entries
(``ost_attachment`` of type ``H`` → ``ost_file``). A file's bytes are read only when it is
written: from ``ost_file_chunk`` for files kept in the database (backend ``D``), from the
attachment folder (``--files-dir``, laid out ``<first letter of the key>/<key>``) for files
kept on disk (backend ``F``).

The status history is the thread's events (``ost_thread_event`` with the event's name from
``ost_event``): ``closed``, ``reopened`` and a status ``edited``, each with the status it set
(``data``: ``{"status": [id, "name"]}``), its time and who did it. The department
(``ost_department``) is the desk's source group, the help topic (``ost_help_topic``) the
request type, the priority (``ost_ticket__cdata.priority`` → ``ost_ticket_priority``) the
source priority.

The first message of a ticket is its description; its files are the request's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from supportal.imports.http import SourceError
from supportal.imports.records import (
    Attachment,
    Comment,
    Company,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.imports.text import html_to_text
from supportal.tickets.workflow import Status

PAGE = 100
# osTicket's own statuses by name; any other status follows its state (open or closed).
STATUSES: Mapping[str, Status] = {
    "Open": Status.WAITING_FOR_SUPPORT,
    "Resolved": Status.RESOLVED,
    "Closed": Status.CLOSED,
    "Archived": Status.CLOSED,
    "Deleted": Status.CANCELLED,
}
_STATES: Mapping[str, Status] = {
    "open": Status.WAITING_FOR_SUPPORT,
    "closed": Status.CLOSED,
    "archived": Status.CLOSED,
    "deleted": Status.CANCELLED,
}
_PREFIX = re.compile(r"^[A-Za-z0-9_]*$")


def _utc(value: Any) -> dt.datetime | None:
    """osTicket's DATETIME columns, taken as UTC (docs/import.md#osticket)."""
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC)


def _text(body: str, fmt: str) -> str:
    return html_to_text(body) if fmt == "html" else body


def connect(url: str) -> Any:
    """A read-only connection for ``mysql://user:password@host:port/database``."""
    import pymysql
    import pymysql.cursors

    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mariadb"} or not parts.path.strip("/"):
        raise SourceError(f"{url}: write mysql://USER:PASSWORD@HOST:PORT/DATABASE")
    try:
        connection = pymysql.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.strip("/")),
            charset="utf8mb4",
            cursorclass=pymysql.cursors.DictCursor,
        )
    except pymysql.MySQLError as exc:
        raise SourceError(f"{parts.hostname}: {exc}") from exc
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return connection


@dataclass
class OsTicketSource:
    url: str
    prefix: str = "ost_"
    files_dir: str = ""
    total: int | None = field(default=None, init=False)
    _connection: Any = field(default=None, init=False, repr=False)
    _statuses: dict[str, Status] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise SourceError(f"{self.prefix!r} is not a table prefix")

    @property
    def name(self) -> str:
        parts = urlsplit(self.url)
        return f"osticket:{parts.hostname}:{parts.port or 3306}{parts.path}"

    def _rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        import pymysql

        if self._connection is None:
            self._connection = connect(self.url)
        try:
            with self._connection.cursor() as cursor:
                cursor.execute(sql.replace("ost_", self.prefix), args)
                return list(cursor.fetchall())
        except pymysql.MySQLError as exc:  # a missing table: not osTicket, or another prefix
            raise SourceError(f"{self.name}: {exc}") from exc

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def statuses(self) -> Mapping[str, Status]:
        """Every status of the helpdesk: by its name when osTicket made it, else by its
        state."""
        if self._statuses is None:
            rows = self._rows("SELECT name, state FROM ost_ticket_status")
            self._statuses = {
                row["name"]: STATUSES.get(row["name"])
                or _STATES.get(row["state"], Status.WAITING_FOR_SUPPORT)
                for row in rows
            }
        return self._statuses

    def records(self) -> Iterator[Record]:
        for row in self._rows("SELECT id, name FROM ost_organization ORDER BY id"):
            yield Company(source_id=str(row["id"]), name=row["name"])
        for row in self._rows(
            "SELECT s.staff_id, s.firstname, s.lastname, s.email, s.phone, s.isactive"
            " FROM ost_staff s ORDER BY s.staff_id"
        ):
            yield Person(
                source_id=f"staff:{row['staff_id']}",
                email=row["email"] or "",
                name=f"{row['firstname'] or ''} {row['lastname'] or ''}".strip(),
                is_agent=True,
                is_deleted=not row["isactive"],
                phone=row["phone"] or "",
            )
        for row in self._rows(
            "SELECT u.id, u.name, u.org_id, e.address FROM ost_user u"
            " LEFT JOIN ost_user_email e ON e.id = u.default_email_id ORDER BY u.id"
        ):
            yield Person(
                source_id=f"user:{row['id']}",
                email=row["address"] or "",
                name=row["name"] or "",
                company_id=str(row["org_id"]) if row["org_id"] else None,
            )
        self.total = self._rows("SELECT COUNT(*) AS n FROM ost_ticket")[0]["n"]
        yield from self._tickets()

    def _tickets(self) -> Iterator[Request]:
        last = 0
        while True:
            rows = self._rows(
                "SELECT t.ticket_id, t.number, t.user_id, t.staff_id, t.created, t.updated,"
                " t.closed, t.lastupdate, c.subject, s.name AS status, s.state,"
                " d.name AS department, h.topic, p.priority_desc AS priority"
                " FROM ost_ticket t"
                " LEFT JOIN ost_ticket__cdata c ON c.ticket_id = t.ticket_id"
                " LEFT JOIN ost_ticket_status s ON s.id = t.status_id"
                " LEFT JOIN ost_department d ON d.id = t.dept_id"
                " LEFT JOIN ost_help_topic h ON h.topic_id = t.topic_id"
                " LEFT JOIN ost_ticket_priority p ON p.priority_id = c.priority"
                " WHERE t.ticket_id > %s ORDER BY t.ticket_id LIMIT %s",
                last,
                PAGE,
            )
            for row in rows:
                yield self._request(row)
            if len(rows) < PAGE:
                return
            last = rows[-1]["ticket_id"]

    def _entries(self, ticket_id: int) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT e.id, e.type, e.staff_id, e.user_id, e.body, e.format, e.created"
            " FROM ost_thread_entry e JOIN ost_thread th ON th.id = e.thread_id"
            " WHERE th.object_type = 'T' AND th.object_id = %s AND e.type IN ('M', 'R', 'N')"
            " ORDER BY e.created, e.id",
            ticket_id,
        )

    def _status_changes(self, ticket_id: int) -> list[StatusChange]:
        """The statuses the ticket's events set, oldest first. An event that names no status
        (``reopened`` records none) takes the first status of its state."""
        changes = []
        for event in self._rows(
            "SELECT e.id, e.staff_id, e.uid, e.uid_type, e.data, e.timestamp, v.name AS event"
            " FROM ost_thread_event e JOIN ost_event v ON v.id = e.event_id"
            " JOIN ost_thread th ON th.id = e.thread_id"
            " WHERE th.object_type = 'T' AND th.object_id = %s AND e.annulled = 0"
            " AND v.name IN ('closed', 'reopened', 'edited') ORDER BY e.timestamp, e.id",
            ticket_id,
        ):
            status = _event_status(event["data"]) or self._first_status(
                {"closed": "closed", "reopened": "open"}.get(event["event"], "")
            )
            at = _utc(event["timestamp"])
            if status and at is not None:
                changes.append(StatusChange(f"event:{event['id']}", status, at, _actor(event)))
        return changes

    def _first_status(self, state: str) -> str:
        if not state:
            return ""
        rows = self._rows("SELECT name FROM ost_ticket_status WHERE state = %s ORDER BY id", state)
        return rows[0]["name"] if rows else ""

    def _files(self, entry_ids: list[int]) -> dict[int, list[Attachment]]:
        if not entry_ids:
            return {}
        rows = self._rows(  # PyMySQL writes the tuple as (1, 2, …)
            "SELECT a.object_id, a.name AS shown, f.id, f.bk, f.`key`, f.type, f.size, f.name"
            " FROM ost_attachment a JOIN ost_file f ON f.id = a.file_id"
            " WHERE a.type = 'H' AND a.inline = 0 AND a.object_id IN %s"
            " ORDER BY a.id",
            tuple(entry_ids),
        )
        files: dict[int, list[Attachment]] = {}
        for row in rows:
            files.setdefault(row["object_id"], []).append(
                Attachment(
                    source_id=str(row["id"]),
                    name=row["shown"] or row["name"] or "file",
                    size=int(row["size"] or 0),
                    content_type=row["type"] or "",
                    fetch=partial(self._file_bytes, row),
                )
            )
        return files

    def _file_bytes(self, row: Mapping[str, Any]) -> bytes:
        if row["bk"] == "F":
            key = str(row["key"])
            path = Path(self.files_dir or ".") / key[:1] / key
            try:
                return path.read_bytes()
            except OSError as exc:
                raise SourceError(f"{row['name']}: {exc}") from exc
        chunks = self._rows(
            "SELECT filedata FROM ost_file_chunk WHERE file_id = %s ORDER BY chunk_id", row["id"]
        )
        return b"".join(bytes(chunk["filedata"]) for chunk in chunks)

    def _author(self, entry: Mapping[str, Any]) -> str | None:
        if entry["staff_id"]:
            return f"staff:{entry['staff_id']}"
        return f"user:{entry['user_id']}" if entry["user_id"] else None

    def _request(self, row: Mapping[str, Any]) -> Request:
        entries = self._entries(row["ticket_id"])
        files = self._files([entry["id"] for entry in entries])
        first = next((e for e in entries if e["type"] == "M"), None)
        created = _utc(row["created"]) or dt.datetime.now(dt.UTC)
        comments = tuple(
            Comment(
                source_id=str(entry["id"]),
                author_id=self._author(entry),
                body=_text(entry["body"] or "", entry["format"]),
                is_public=entry["type"] != "N",
                created_at=_utc(entry["created"]) or created,
                attachments=tuple(files.get(entry["id"], ())),
            )
            for entry in entries
            if entry is not first
        )
        changes = self._status_changes(row["ticket_id"])
        closed = _utc(row["closed"])
        if not changes and row["state"] == "closed" and closed is not None:
            changes = [StatusChange(f"{row['ticket_id']}:closed", row["status"], closed)]
        number = str(row["number"] or "")
        updated = max(filter(None, (_utc(row["updated"]), _utc(row["lastupdate"]), created)))
        return Request(
            source_id=str(row["ticket_id"]),
            number=int(number) if number.isdigit() else None,
            summary=row["subject"] or "",
            details=_text(first["body"] or "", first["format"]) if first else "",
            requester_id=f"user:{row['user_id']}",
            created_at=created,
            updated_at=updated,
            status=row["status"] or "",
            assignee_id=f"staff:{row['staff_id']}" if row["staff_id"] else None,
            comments=comments,
            attachments=tuple(files.get(first["id"], ())) if first else (),
            status_changes=tuple(changes),
            old_links=(number,) if number else (),
            group=row["department"] or "",
            request_type=row["topic"] or "",
            priority=row["priority"] or "",
        )


def _event_status(data: Any) -> str:
    """The status name an event's ``data`` records: ``{"status": [id, "name"]}``."""
    try:
        status = json.loads(data or "null")
    except ValueError:
        return ""
    status = status.get("status") if isinstance(status, dict) else None
    if isinstance(status, list) and len(status) == 2 and isinstance(status[1], str):
        return status[1]
    return ""


def _actor(event: Mapping[str, Any]) -> str | None:
    """Who acted: the event's ``uid`` of type ``S`` (staff) or ``U`` (user), else its staff."""
    if event["uid"] and event["uid_type"] in ("S", "U"):
        kind = "staff" if event["uid_type"] == "S" else "user"
        return f"{kind}:{event['uid']}"
    return f"staff:{event['staff_id']}" if event["staff_id"] else None
