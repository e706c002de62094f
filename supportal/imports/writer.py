"""The one writer: records of any source become Supportal's objects, through the services.

Each request is written in one transaction with its conversation, files, status history and
rating, through ``tickets.services``' import functions (so events, SLA clocks, search
documents and permissions are those of a request made here), inside ``core.quiet.quietly`` (so
no one is told). Every object written is remembered in ``ImportedObject``: a record imported
before is skipped, a request changed since gets only what is new (docs/import.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction

from supportal.accounts.models import User
from supportal.core.quiet import quietly
from supportal.desks.models import Desk
from supportal.imports.models import ImportedKind, ImportedObject
from supportal.imports.people import Directory
from supportal.imports.records import (
    Attachment,
    Comment,
    Company,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.imports.report import ImportReport
from supportal.tickets.models import Ticket
from supportal.tickets.services import (
    NewAttachment,
    ticket_import_assign,
    ticket_import_comment,
    ticket_import_create,
    ticket_import_feedback,
    ticket_import_files,
    ticket_import_status,
)
from supportal.tickets.workflow import Status

logger = logging.getLogger("supportal.imports")


@dataclass(frozen=True)
class _Step:
    """One thing that happened to a request, to replay in time order."""

    at: dt.datetime
    order: int  # a status change before the comment made at the same instant
    kind: ImportedKind
    source_id: str
    record: Comment | StatusChange


class ImportWriter:
    """Writes (or, in a dry run, only counts) the records of one source into one desk.

    ``statuses``: the source's status names → Supportal's; ``keep_numbers``: keep a request's
    number when the source has no desk key (Freshdesk's ticket ids), as when the keys match.
    """

    def __init__(
        self,
        *,
        source: str,
        desk: Desk,
        statuses: Mapping[str, Status],
        dry_run: bool = False,
        keep_numbers: bool = False,
        report: ImportReport | None = None,
    ) -> None:
        self.source = source
        self.desk = desk
        self.statuses = {name.casefold(): status for name, status in statuses.items()}
        self.dry_run = dry_run
        self.keep_numbers = keep_numbers
        self.report = report or ImportReport(is_dry_run=dry_run)
        self.people = Directory(source=source, desk=desk, report=self.report, dry_run=dry_run)
        self._types: dict[type[models.Model], ContentType] = {}

    def write_all(self, records: Iterable[Record]) -> ImportReport:
        for record in records:
            self.write(record)
        return self.report

    def write(self, record: Record) -> None:
        """Write one record, telling no one."""
        with quietly():
            if isinstance(record, Company):
                self.people.company_write(record)
            elif isinstance(record, Person):
                self.people.person_write(record)
            else:
                self._request_write(record)

    def status_for(self, name: str) -> Status | None:
        return self.statuses.get((name or "").casefold())

    # -- requests -------------------------------------------------------------------------

    def _request_write(self, record: Request) -> None:
        known = ImportedObject.objects.filter(
            source=self.source, kind=ImportedKind.REQUEST, source_id=record.source_id
        ).first()
        version = record.updated_at.isoformat()
        if known is not None and known.source_version == version:
            self.report.count("request", "skipped")
            return
        for change in record.status_changes:
            self.report.status_seen(change.status, self.status_for(change.status))
        self.report.status_seen(record.status, self.status_for(record.status))
        if self.dry_run:
            self._request_plan(record, known)
            return
        try:
            with transaction.atomic():
                ticket = self._ticket_for(record, known)
                is_complete = self._history_write(ticket, record, is_new=known is None)
                self._version_store(record, ticket, known, version if is_complete else "")
        except Exception as exc:  # one bad request must not stop a whole history
            logger.warning("import of %s failed", record.source_id, exc_info=True)
            self.report.count("request", "failed")
            self.report.problem(f"{record.reference or record.source_id}: {exc}")
            return
        self.report.count("request", "updated" if known else "created")

    def _request_plan(self, record: Request, known: ImportedObject | None) -> None:
        """Count what writing the request would create, writing nothing."""
        self.report.count("request", "updated" if known else "created")
        for source_id in (record.requester_id, record.assignee_id, *record.participant_ids):
            self.people.user_id(source_id)
        done = self._done(record) if known else set()
        files = [a for a in record.attachments if a.source_id not in done]
        for comment in record.comments:
            if comment.source_id not in done:
                self.report.count("comment", "created")
                files.extend(a for a in comment.attachments if a.source_id not in done)
        self.report.count("attachment", "created", len(files))
        self.report.attachment_bytes += sum(a.size for a in files)
        if record.reference and record.key != self.desk.key:
            self.report.problem(
                f"{record.reference}: the desk's key is {self.desk.key}; it gets a new number"
            )

    def _type(self, model: type[models.Model]) -> ContentType:
        if model not in self._types:
            self._types[model] = ContentType.objects.get_for_model(model)
        return self._types[model]

    def _remember(self, kind: ImportedKind, source_id: str, obj: models.Model) -> None:
        ImportedObject.objects.create(
            source=self.source,
            kind=kind,
            source_id=source_id,
            content_type=self._type(type(obj)),
            object_id=obj.pk,
        )

    def _user(self, source_id: str | None) -> User | None:
        pk = self.people.user_id(source_id)
        return User.objects.get(pk=pk) if pk else None

    def _ticket_for(self, record: Request, known: ImportedObject | None) -> Ticket:
        """The request imported before, or a new one under its old number when it may keep it."""
        if known is not None:
            return Ticket.objects.select_related("desk").get(pk=known.object_id)
        requester = self._user(record.requester_id)
        if requester is None:
            raise ValueError("a request needs a requester")
        keeps = record.key == self.desk.key or (not record.key and self.keep_numbers)
        participants = [u for u in map(self._user, record.participant_ids) if u is not None]
        ticket = ticket_import_create(
            desk=self.desk,
            requester=requester,
            summary=record.summary,
            details=record.details,
            created_at=record.created_at,
            number=record.number if keeps else None,
            participants=participants,
        )
        if keeps and record.number and ticket.number != record.number:
            self.report.renumbered.append(
                (record.reference or str(record.number), ticket.reference)
            )
        self._remember(ImportedKind.REQUEST, record.source_id, ticket)
        for reference in record.old_links:
            self._remember(ImportedKind.REFERENCE, reference.upper(), ticket)
        return ticket

    def _version_store(
        self, record: Request, ticket: Ticket, known: ImportedObject | None, version: str
    ) -> None:
        row = known or ImportedObject.objects.get(
            source=self.source, kind=ImportedKind.REQUEST, source_id=record.source_id
        )
        row.source_version = version
        row.save(update_fields=["source_version"])

    def _done(self, record: Request) -> set[str]:
        """Source ids of the request's parts imported before (one query)."""
        ids = [c.source_id for c in record.comments]
        ids += [s.source_id for s in record.status_changes]
        ids += [a.source_id for a in record.attachments]
        ids += [a.source_id for c in record.comments for a in c.attachments]
        if record.rating:
            ids.append(record.rating.source_id)
        return set(
            ImportedObject.objects.filter(source=self.source, source_id__in=ids)
            .exclude(kind__in=[ImportedKind.REQUEST, ImportedKind.PERSON, ImportedKind.COMPANY])
            .values_list("source_id", flat=True)
        )

    def _steps(self, record: Request, done: set[str]) -> list[_Step]:
        steps = [
            _Step(c.at, 0, ImportedKind.STATUS_CHANGE, c.source_id, c)
            for c in record.status_changes
            if c.source_id not in done
        ]
        steps += [
            _Step(c.created_at, 1, ImportedKind.COMMENT, c.source_id, c)
            for c in record.comments
            if c.source_id not in done
        ]
        return sorted(steps, key=lambda step: (step.at, step.order))

    def _history_write(self, ticket: Ticket, record: Request, *, is_new: bool) -> bool:
        """Replay what is new on the request in time order; True when nothing was left out."""
        done = set() if is_new else self._done(record)
        is_complete = self._files_write(
            ticket, [a for a in record.attachments if a.source_id not in done], record
        )
        assignee = self._user(record.assignee_id)
        for step in self._steps(record, done):
            if assignee is not None and self._assign_due(ticket, assignee, step):
                ticket = ticket_import_assign(ticket=ticket, assignee=assignee, at=step.at)
            if isinstance(step.record, Comment):
                is_complete &= self._comment_write(ticket, step.record, done)
            else:
                ticket = self._status_write(
                    ticket,
                    step.record.status,
                    step.at,
                    step.record,
                    resolution=record.resolution,
                )
        if assignee is not None and ticket.assignee_id != assignee.pk:
            ticket = ticket_import_assign(ticket=ticket, assignee=assignee, at=record.updated_at)
        current = self.status_for(record.status) or Status.WAITING_FOR_SUPPORT
        if Status(ticket.status) != current:
            ticket = self._status_write(
                ticket, record.status, record.updated_at, None, resolution=record.resolution
            )
        self._rating_write(ticket, record, done)
        return is_complete

    def _assign_due(self, ticket: Ticket, assignee: User, step: _Step) -> bool:
        """The assignee took the request when support first acted: a status change away from
        waiting for support, or their first public answer (the first response, for the SLA)."""
        if ticket.assignee_id is not None:
            return False
        if isinstance(step.record, Comment):
            author = self.people.user_id(step.record.author_id)
            return step.record.is_public and author == assignee.pk
        assert isinstance(step.record, StatusChange)
        status = self.status_for(step.record.status)
        return status is not None and status != Status.WAITING_FOR_SUPPORT

    def _status_write(
        self,
        ticket: Ticket,
        name: str,
        at: dt.datetime,
        change: StatusChange | None,
        *,
        resolution: str,
    ) -> Ticket:
        status = self.status_for(name) or Status.WAITING_FOR_SUPPORT
        actor = self._user(change.actor_id if change else None)
        ticket = ticket_import_status(
            ticket=ticket,
            actor=actor,
            status=status,
            at=at,
            resolution=resolution if status == Status.RESOLVED else "",
        )
        if change is not None:
            self._remember(ImportedKind.STATUS_CHANGE, change.source_id, ticket)
            self.report.count("status change", "created")
        return ticket

    def _new_files(self, files: Iterable[Attachment]) -> list[tuple[Attachment, NewAttachment]]:
        """Fetch the files; an empty or unreadable one is reported and left out."""
        fetched = []
        for item in files:
            try:
                content = item.fetch()
            except Exception as exc:  # a file the source cannot give: the rest still comes
                self.report.count("attachment", "failed")
                self.report.problem(f"{item.name}: {exc}")
                continue
            if not content:
                self.report.count("attachment", "failed")
                self.report.problem(f"{item.name}: empty file")
                continue
            upload = SimpleUploadedFile(
                item.name or "file", content, item.content_type or "application/octet-stream"
            )
            fetched.append((item, NewAttachment(file=upload, name=item.name)))
            self.report.attachment_bytes += len(content)
        return fetched

    def _files_write(self, ticket: Ticket, files: list[Attachment], record: Request) -> bool:
        fetched = self._new_files(files)
        if fetched:
            added = ticket_import_files(
                ticket=ticket,
                uploaded_by=ticket.requester,
                files=[new for _item, new in fetched],
                at=record.created_at,
            )
            for (item, _new), attachment in zip(fetched, added, strict=True):
                self._remember(ImportedKind.ATTACHMENT, item.source_id, attachment)
            self.report.count("attachment", "created", len(added))
        return len(fetched) == len(files)

    def _comment_write(self, ticket: Ticket, record: Comment, done: set[str]) -> bool:
        wanted = [a for a in record.attachments if a.source_id not in done]
        fetched = self._new_files(wanted)
        if not record.body.strip() and not fetched:
            self.report.count("comment", "skipped")
            return len(fetched) == len(wanted)
        comment = ticket_import_comment(
            ticket=ticket,
            author=self._user(record.author_id),
            body=record.body,
            is_public=record.is_public,
            created_at=record.created_at,
            attachments=[new for _item, new in fetched],
        )
        self._remember(ImportedKind.COMMENT, record.source_id, comment)
        for (item, _new), attachment in zip(
            fetched, comment.attachments.order_by("pk"), strict=True
        ):
            self._remember(ImportedKind.ATTACHMENT, item.source_id, attachment)
        self.report.count("comment", "created")
        self.report.count("attachment", "created", len(fetched))
        return len(fetched) == len(wanted)

    def _rating_write(self, ticket: Ticket, record: Request, done: set[str]) -> None:
        rating = record.rating
        if rating is None or rating.source_id in done:
            return
        given_by = self._user(rating.person_id) or ticket.requester
        feedback = ticket_import_feedback(
            ticket=ticket,
            given_by=given_by,
            rating=rating.rating,
            message=rating.message,
            at=rating.at,
        )
        if feedback is not None:
            self._remember(ImportedKind.FEEDBACK, rating.source_id, feedback)
            self.report.count("rating", "created")
