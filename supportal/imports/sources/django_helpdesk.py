"""django-helpdesk (2.x), read straight from its database (docs/import.md#django-helpdesk).

django-helpdesk has no API that gives follow-ups and files, so the reader reads the
database Django wrote for it — SQLite, PostgreSQL or MySQL/MariaDB — through a read-only
connection: the users (``auth_user``: staff are the agents), the submitters' addresses that
have no account, then the tickets of the chosen queues oldest first (``helpdesk_ticket`` with
``helpdesk_queue``), each with its follow-ups (``helpdesk_followup``: public or internal, a
``new_status`` is a status change), their files (``helpdesk_followupattachment``, the bytes
read from the helpdesk's media folder, ``--files-dir``, only when written) and the users
copied on it (``helpdesk_ticketcc``). The knowledge base is left out. A ticket's queue (its
slug) is the desk's source group (``--desk-map suport=HELP``), its priority (1 Critical to
5 Very Low) the source priority.

A ticket made through django-helpdesk's forms opens with a follow-up that repeats its
description ("Ticket Opened"): that one is the request itself, its files the request's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from supportal.imports.http import SourceError
from supportal.imports.records import (
    Attachment,
    Comment,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.tickets.workflow import Status

PAGE = 100
# django-helpdesk's default statuses (HELPDESK_TICKET_STATUS_CHOICES); a site that changed
# them shows the others as "status N", to map with --status.
STATUS_NAMES: Mapping[int, str] = {
    1: "Open",
    2: "Reopened",
    3: "Resolved",
    4: "Closed",
    5: "Duplicate",
}
STATUSES: Mapping[str, Status] = {
    "Open": Status.WAITING_FOR_SUPPORT,
    "Reopened": Status.WAITING_FOR_SUPPORT,
    "Resolved": Status.RESOLVED,
    "Closed": Status.CLOSED,
    "Duplicate": Status.CANCELLED,
}
# django-helpdesk's priorities (Ticket.PRIORITY_CHOICES): the source priority's names.
PRIORITY_NAMES: Mapping[int, str] = {
    1: "Critical",
    2: "High",
    3: "Normal",
    4: "Low",
    5: "Very Low",
}
# The old links' key: django-helpdesk's ticket ids are unique across its queues.
OLD_LINK_PREFIX = "HELPDESK-"
SOURCE_PREFIX = "django-helpdesk:"


def _instant(value: Any) -> dt.datetime | None:
    """A DATETIME column: aware as PostgreSQL gives it, naive UTC from MySQL (Django stores
    UTC there when USE_TZ is on), text from SQLite."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Database:
    """One read-only connection; every query is written with ``%s`` placeholders and
    returns dictionaries."""

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.scheme = parts.scheme
        if self.scheme == "sqlite":
            # sqlite:////abs/path.sqlite3 or sqlite:///relative.sqlite3, as Django's URLs go.
            path = unquote(parts.path)[1:]
            if not path or not Path(path).is_file():
                raise SourceError(f"{url}: no SQLite database at {path or '(empty)'}")
            # mode=ro: SQLite itself refuses any change through this connection.
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self.connection: Any = sqlite3.connect(uri, uri=True)
            self.connection.row_factory = sqlite3.Row
        elif self.scheme in {"postgres", "postgresql"}:
            import psycopg
            from psycopg.rows import dict_row

            try:
                self.connection = psycopg.connect(url, row_factory=dict_row, autocommit=True)
            except psycopg.Error as exc:
                raise SourceError(f"{parts.hostname}: {exc}") from exc
            self.connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        elif self.scheme in {"mysql", "mariadb"}:
            from supportal.imports.sources.osticket import connect

            self.connection = connect(url)
        else:
            raise SourceError(
                f"{url}: write sqlite:////PATH/db.sqlite3, postgres://USER:PASSWORD@HOST/DB "
                "or mysql://USER:PASSWORD@HOST/DB"
            )

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            if self.scheme == "sqlite":
                cursor = self.connection.execute(sql.replace("%s", "?"), tuple(args))
                return [dict(row) for row in cursor.fetchall()]
            with self.connection.cursor() as cursor:
                cursor.execute(sql, tuple(args))
                return list(cursor.fetchall())
        except Exception as exc:  # a missing table: not django-helpdesk, or not migrated
            raise SourceError(f"{self.url.split('@')[-1]}: {exc}") from exc

    def close(self) -> None:
        self.connection.close()


@dataclass
class DjangoHelpdeskSource:
    """``queues``: the slugs of the queues to import (all when empty)."""

    url: str
    queues: tuple[str, ...] = ()
    files_dir: str = ""
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUSES))
    total: int | None = field(default=None, init=False)
    _db: _Database | None = field(default=None, init=False, repr=False)
    _by_email: dict[str, str] = field(default_factory=dict, init=False)

    @property
    def name(self) -> str:
        parts = urlsplit(self.url)
        where = parts.path if parts.scheme == "sqlite" else f"{parts.hostname}{parts.path}"
        return f"{SOURCE_PREFIX}{where}"

    @property
    def db(self) -> _Database:
        if self._db is None:
            self._db = _Database(self.url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _queue_filter(self) -> tuple[str, list[Any]]:
        """The queues' condition: placeholders only, the slugs go as parameters."""
        if not self.queues:
            return "", []
        marks = ", ".join(["%s"] * len(self.queues))
        return f" AND q.slug IN ({marks})", list(self.queues)

    def records(self) -> Iterator[Record]:
        where, args = self._queue_filter()
        known = {row["slug"] for row in self.db.rows("SELECT slug FROM helpdesk_queue")}
        missing = [slug for slug in self.queues if slug not in known]
        if missing:
            raise SourceError(
                f"{self.name}: no queue {', '.join(missing)} (queues: {', '.join(sorted(known))})"
            )
        for row in self.db.rows(
            "SELECT id, first_name, last_name, email, is_staff, is_superuser, is_active"
            " FROM auth_user ORDER BY id"
        ):
            email = (row["email"] or "").strip()
            if email:
                self._by_email.setdefault(email.casefold(), f"user:{row['id']}")
            yield Person(
                source_id=f"user:{row['id']}",
                email=email,
                name=f"{row['first_name'] or ''} {row['last_name'] or ''}".strip(),
                is_agent=bool(row["is_staff"] or row["is_superuser"]),
                is_deleted=not row["is_active"],
            )
        for row in self.db.rows(
            "SELECT DISTINCT t.submitter_email FROM helpdesk_ticket t"
            " JOIN helpdesk_queue q ON q.id = t.queue_id"
            " WHERE t.submitter_email IS NOT NULL {queues}".replace("{queues}", where),
            args,
        ):
            email = (row["submitter_email"] or "").strip()
            if email and email.casefold() not in self._by_email:
                self._by_email[email.casefold()] = f"email:{email.casefold()}"
                yield Person(source_id=f"email:{email.casefold()}", email=email)
        self.total = self.db.rows(
            "SELECT COUNT(*) AS n FROM helpdesk_ticket t"
            " JOIN helpdesk_queue q ON q.id = t.queue_id WHERE 1 = 1 {queues}".replace(
                "{queues}", where
            ),
            args,
        )[0]["n"]
        yield from self._tickets(where, args)

    def _tickets(self, where: str, args: list[Any]) -> Iterator[Request]:
        last = 0
        while True:
            rows = self.db.rows(
                "SELECT t.id, t.title, t.created, t.modified, t.submitter_email,"
                " t.assigned_to_id, t.status, t.description, t.resolution, t.priority, q.slug"
                " FROM helpdesk_ticket t JOIN helpdesk_queue q ON q.id = t.queue_id"
                " WHERE t.id > %s {queues} ORDER BY t.id LIMIT %s".replace("{queues}", where),
                [last, *args, PAGE],
            )
            for row in rows:
                yield self._request(row)
            if len(rows) < PAGE:
                return
            last = rows[-1]["id"]

    def _files(self, ticket_id: int) -> dict[int, list[Attachment]]:
        files: dict[int, list[Attachment]] = {}
        for row in self.db.rows(
            "SELECT a.id, a.followup_id, a.file, a.filename, a.mime_type, a.size"
            " FROM helpdesk_followupattachment a"
            " JOIN helpdesk_followup f ON f.id = a.followup_id"
            " WHERE f.ticket_id = %s ORDER BY a.id",
            [ticket_id],
        ):
            name = row["filename"] or Path(str(row["file"])).name or "file"
            files.setdefault(row["followup_id"], []).append(
                Attachment(
                    source_id=f"file:{row['id']}",
                    name=name,
                    size=int(row["size"] or 0),
                    content_type=row["mime_type"] or "",
                    fetch=partial(self._file_bytes, str(row["file"])),
                )
            )
        return files

    def _file_bytes(self, relative: str) -> bytes:
        root = Path(self.files_dir or ".").resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):  # a stored name must not lead out of the folder
            raise SourceError(f"{relative}: outside {root}")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{relative}: {exc}") from exc

    def _person(self, user_id: Any) -> str | None:
        return f"user:{user_id}" if user_id else None

    def _request(self, row: Mapping[str, Any]) -> Request:
        ticket_id = int(row["id"])
        followups = self.db.rows(
            "SELECT id, date, title, comment, public, user_id, new_status"
            " FROM helpdesk_followup WHERE ticket_id = %s ORDER BY date, id",
            [ticket_id],
        )
        files = self._files(ticket_id)
        created = _instant(row["created"]) or dt.datetime.now(dt.UTC)
        description = (row["description"] or "").strip()
        email = (row["submitter_email"] or "").strip().casefold()
        first = followups[0] if followups else None
        requester = self._by_email.get(email) or (self._person(first["user_id"]) if first else None)
        # The form's "Ticket Opened" follow-up repeats the description: it is the request.
        opening = (
            first if first is not None and (first["comment"] or "").strip() == description else None
        )
        comments, changes = self._conversation(followups, files, requester, opening, created)
        participants = tuple(
            f"user:{cc['user_id']}"
            for cc in self.db.rows(
                "SELECT user_id FROM helpdesk_ticketcc WHERE ticket_id = %s"
                " AND user_id IS NOT NULL ORDER BY id",
                [ticket_id],
            )
        )
        modified = _instant(row["modified"]) or created
        return Request(
            source_id=str(ticket_id),
            number=ticket_id,
            summary=row["title"] or "",
            details=description,
            requester_id=requester or f"unknown:{ticket_id}",
            created_at=created,
            updated_at=max([modified, *(c.created_at for c in comments)]),
            status=self._status(row["status"]),
            assignee_id=self._person(row["assigned_to_id"]),
            participant_ids=participants,
            comments=tuple(comments),
            attachments=tuple(files.get(opening["id"], ())) if opening else (),
            status_changes=tuple(changes),
            resolution=(row["resolution"] or "").strip(),
            old_links=(f"{OLD_LINK_PREFIX}{ticket_id}",),
            group=row["slug"] or "",
            priority=_priority(row["priority"]),
        )

    def _conversation(
        self,
        followups: list[dict[str, Any]],
        files: Mapping[int, list[Attachment]],
        requester: str | None,
        opening: Mapping[str, Any] | None,
        created: dt.datetime,
    ) -> tuple[list[Comment], list[StatusChange]]:
        """The follow-ups as comments (all but the opening one) and status changes."""
        comments = []
        changes = []
        for followup in followups:
            at = _instant(followup["date"]) or created
            author = self._person(followup["user_id"])
            if author is None and followup["public"]:
                author = requester  # an e-mail from the submitter, who has no account
            if followup["new_status"] is not None:
                changes.append(
                    StatusChange(
                        source_id=f"status:{followup['id']}",
                        status=self._status(followup["new_status"]),
                        at=at,
                        actor_id=author,
                    )
                )
            if followup is opening:
                continue
            comments.append(
                Comment(
                    source_id=f"followup:{followup['id']}",
                    author_id=author,
                    body=(followup["comment"] or "").strip(),
                    is_public=bool(followup["public"]),
                    created_at=at,
                    attachments=tuple(files.get(followup["id"], ())),
                )
            )
        return comments, changes

    def _status(self, value: Any) -> str:
        try:
            number = int(value)
        except (TypeError, ValueError):
            return str(value)
        return STATUS_NAMES.get(number, f"status {number}")


def _priority(value: Any) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    return PRIORITY_NAMES.get(number, f"priority {number}")
