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
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.quiet import quietly
from supportal.desks.models import Desk, Priority
from supportal.imports.mapping import Mapper
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
from supportal.sla.sweeper import sla_sweep_tickets
from supportal.tickets.models import Ticket
from supportal.tickets.services import (
    ImportedAssignment,
    ImportedComment,
    ImportedFiles,
    ImportedStatus,
    ImportedStep,
    NewAttachment,
    events_deferred,
    ticket_import_create,
    ticket_import_feedback,
    ticket_import_history,
)
from supportal.tickets.workflow import Status

logger = logging.getLogger("supportal.imports")

# Requests written per transaction: fewer commits (SQLite syncs the disk at each), while a
# batch stays short enough not to hold the database long (docs/import.md).
BATCH_SIZE = 20
# Accounts kept in memory by the writer at most (authors repeat on every request).
USERS_CACHED = 5000


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
        batch_size: int = BATCH_SIZE,
        priorities: Mapping[str, str] | None = None,
        desks: Mapping[str, Desk] | None = None,
        types: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        self.desk = desk
        self.statuses = {name.casefold(): status for name, status in statuses.items()}
        self.dry_run = dry_run
        self.keep_numbers = keep_numbers
        self.batch_size = max(1, batch_size)
        self.report = report or ImportReport(is_dry_run=dry_run)
        self.people = Directory(source=source, desk=desk, report=self.report, dry_run=dry_run)
        self._types: dict[type[models.Model], ContentType] = {}
        self._users: dict[int, User] = {}
        self._pending: list[ImportedObject] = []
        self._unswept: list[int] = []  # requests written whose past SLA moments are not recorded
        # The source's priority names → Supportal's (--priority SRC=OURS; else the same name).
        self.priorities = {k.casefold(): v for k, v in (priorities or {}).items()}
        self._priorities: dict[str, Priority | None] = {}
        # Groups → desks, request types, custom fields (--desk-map, --type-map).
        self.mapper = Mapper(
            desk=desk, report=self.report, dry_run=dry_run, desks=desks, types=types
        )

    def write_all(self, records: Iterable[Record]) -> ImportReport:
        """Write every record, ``batch_size`` requests per transaction (each request in a
        savepoint of its own, so one bad request does not take its batch with it). When the
        source fails, what was read before is committed first: the next run continues there."""
        source = iter(records)
        failure: Exception | None = None
        is_done = False
        while not is_done and failure is None:
            with transaction.atomic():
                requests = 0
                while requests < self.batch_size:
                    try:
                        record = next(source)
                    except StopIteration:
                        is_done = True
                        break
                    except Exception as exc:  # the source's: kept, raised after the commit
                        failure = exc
                        break
                    self._write(record)
                    requests += isinstance(record, Request)
                self._sweep()
        if failure is not None:
            raise failure
        return self.report

    def write(self, record: Record) -> None:
        """Write one record, telling no one."""
        with transaction.atomic():
            self._write(record)
            self._sweep()

    def _sweep(self) -> None:
        """Past warnings and breaches of the requests written recorded now, quietly, once per
        batch (see sla_sweep_tickets)."""
        if self._unswept:
            with quietly():
                sla_sweep_tickets(self._unswept)
            self._unswept = []

    def _write(self, record: Record) -> None:
        with quietly():
            if isinstance(record, Company):
                self.people.company_write(record)
            elif isinstance(record, Person):
                self.people.person_write(record)
            else:
                self._request_write(record)

    def status_for(self, name: str) -> Status | None:
        return self.statuses.get((name or "").casefold())

    def priority_for(self, name: str) -> Priority | None:
        """The priority a source priority becomes: the one ``--priority`` names, else the one
        of the same name; None (the desk's default applies) when there is none."""
        key = (name or "").casefold()
        if key not in self._priorities:
            wanted = self.priorities.get(key, name)
            self._priorities[key] = Priority.objects.filter(name__iexact=wanted.strip()).first()
        return self._priorities[key]

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
        if record.priority:
            priority = self.priority_for(record.priority)
            self.report.priority_seen(record.priority, priority.name if priority else None)
        if known is None:
            desk = self.mapper.desk_for(record.group)
            self.mapper.seen(desk, record.group, record.request_type)
        if self.dry_run:
            self._request_plan(record, known)
            return
        try:
            with transaction.atomic():
                # The request's creation and history reach the SLA clocks together.
                with events_deferred():
                    ticket = self._ticket_for(record, known)
                    is_complete = self._history_write(ticket, record, is_new=known is None)
                self._version_store(record, known, version if is_complete else "")
                self._pending_write()
        except Exception as exc:  # one bad request must not stop a whole history
            logger.warning("import of %s failed", record.source_id, exc_info=True)
            self._pending = []
            self.report.count("request", "failed")
            self.report.problem(f"{record.reference or record.source_id}: {exc}")
            return
        self._unswept.append(ticket.pk)
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
        if record.merged_into and _merge_note_id(record) not in done:
            self.report.count("comment", "created")
        self.report.count("attachment", "created", len(files))
        self.report.attachment_bytes += sum(a.size for a in files)
        desk = self.mapper.desk_for(record.group)
        if known is None:
            self.mapper.custom_values(desk, record.custom_fields)
        if record.reference and record.key != desk.key:
            self.report.problem(
                f"{record.reference}: the desk's key is {desk.key}; it gets a new number"
            )

    def _type(self, model: type[models.Model]) -> ContentType:
        if model not in self._types:
            self._types[model] = ContentType.objects.get_for_model(model)
        return self._types[model]

    def _remember(self, kind: ImportedKind, source_id: str, obj: models.Model) -> None:
        """Remember the object, written with the request's other rows in one statement."""
        self._pending.append(
            ImportedObject(
                source=self.source,
                kind=kind,
                source_id=source_id,
                content_type=self._type(type(obj)),
                object_id=obj.pk,
            )
        )

    def _pending_write(self) -> None:
        ImportedObject.objects.bulk_create(self._pending)
        self._pending = []

    def _user(self, source_id: str | None) -> User | None:
        pk = self.people.user_id(source_id)
        if not pk:
            return None
        if pk not in self._users:
            if len(self._users) > USERS_CACHED:
                self._users.clear()  # people are few; this only bounds a huge directory
            self._users[pk] = User.objects.get(pk=pk)
        return self._users[pk]

    def _ticket_for(self, record: Request, known: ImportedObject | None) -> Ticket:
        """The request imported before, or a new one under its old number when it may keep it."""
        if known is not None:
            return Ticket.objects.select_related("desk").get(pk=known.object_id)
        requester = self._user(record.requester_id)
        if requester is None:
            raise ValueError("a request needs a requester")
        desk = self.mapper.desk_for(record.group)
        keeps = record.key == desk.key or (not record.key and self.keep_numbers)
        participants = [u for u in map(self._user, record.participant_ids) if u is not None]
        self.mapper.member_ensure(desk, self._user(record.assignee_id))
        ticket = ticket_import_create(
            desk=desk,
            requester=requester,
            summary=record.summary,
            details=record.details,
            created_at=record.created_at,
            number=record.number if keeps else None,
            participants=participants,
            priority=self.priority_for(record.priority) if record.priority else None,
            request_type=self.mapper.request_type_for(desk, record.request_type),
            custom_fields=self.mapper.custom_values(desk, record.custom_fields),
        )
        if keeps and record.number and ticket.number != record.number:
            self.report.renumbered.append(
                (record.reference or str(record.number), ticket.reference)
            )
        self._remember(ImportedKind.REQUEST, record.source_id, ticket)
        for reference in record.old_links:
            self._remember(ImportedKind.REFERENCE, reference.upper(), ticket)
        return ticket

    def _version_store(self, record: Request, known: ImportedObject | None, version: str) -> None:
        """The source's version of the request, once all of it is here (a later run that
        finds the same version skips it)."""
        if known is not None:
            known.source_version = version
            known.save(update_fields=["source_version"])
            return
        for row in self._pending:
            if row.kind == ImportedKind.REQUEST and row.source_id == record.source_id:
                row.source_version = version

    def _done(self, record: Request) -> set[str]:
        """Source ids of the request's parts imported before (one query)."""
        ids = [c.source_id for c in record.comments]
        ids += [s.source_id for s in record.status_changes]
        ids += [a.source_id for a in record.attachments]
        ids += [a.source_id for c in record.comments for a in c.attachments]
        if record.rating:
            ids.append(record.rating.source_id)
        if record.merged_into:
            ids.append(_merge_note_id(record))
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
        """Replay what is new on the request in time order, in one service call; True when
        nothing was left out (a file the source could not give)."""
        done = set() if is_new else self._done(record)
        plan = _Plan()
        loose = [a for a in record.attachments if a.source_id not in done]
        if loose:
            fetched = self._new_files(loose, plan)
            if fetched:
                uploader = ticket.requester
                plan.add(
                    ImportedFiles(
                        uploaded_by=uploader,
                        files=[new for _a, new in fetched],
                        at=record.created_at,
                    ),
                    None,
                    [a for a, _new in fetched],
                )
        assignee = self._user(record.assignee_id)
        is_assigned = ticket.assignee_id is not None
        status = Status(ticket.status)
        for step in self._steps(record, done):
            if assignee is not None and not is_assigned and self._assign_due(assignee, step):
                plan.add(ImportedAssignment(assignee=assignee, at=step.at), None, [])
                is_assigned = True
            if isinstance(step.record, Comment):
                self._comment_plan(step.record, done, plan)
            else:
                status = self.status_for(step.record.status) or Status.WAITING_FOR_SUPPORT
                plan.add(self._status_step(step.record, status, record), step.record, [])
        if assignee is not None and not is_assigned:
            plan.add(ImportedAssignment(assignee=assignee, at=record.updated_at), None, [])
        self._merge_plan(record, done, plan)
        current = self.status_for(record.status) or Status.WAITING_FOR_SUPPORT
        if record.merged_into and current not in (Status.CLOSED, Status.CANCELLED):
            current = Status.CLOSED  # merged away there: nothing is left to do on it
        if status != current:
            final = StatusChange("", record.status, record.updated_at)
            plan.add(self._status_step(final, current, record), None, [])
        self._plan_write(ticket, plan)
        self._rating_write(ticket, record, done)
        return plan.is_complete

    def _merge_plan(self, record: Request, done: set[str], plan: _Plan) -> None:
        """A request merged into another there (or closed as its duplicate) says into which,
        in an internal note: its reference here when it came already, else the source's."""
        note_id = _merge_note_id(record)
        if not note_id or note_id in done:
            return
        # By the source's id, else by its old reference (Jira's CSV export gives only the key).
        target = ImportedObject.objects.filter(
            models.Q(kind=ImportedKind.REQUEST, source_id=record.merged_into)
            | models.Q(kind=ImportedKind.REFERENCE, source_id=record.merged_into_label.upper()),
            source=self.source,
        ).first()
        reference = record.merged_into_label or record.merged_into
        if target is not None:
            reference = (
                Ticket.objects.filter(pk=target.object_id)
                .values_list("reference", flat=True)
                .first()
                or reference
            )
        note = Comment(
            source_id=note_id,
            author_id=None,
            body=_("Merged into %(reference)s.") % {"reference": reference},
            is_public=False,
            created_at=record.updated_at,
        )
        self._comment_plan(note, done, plan)

    def _status_step(self, change: StatusChange, status: Status, record: Request) -> ImportedStatus:
        return ImportedStatus(
            actor=self._user(change.actor_id),
            status=status,
            at=change.at,
            resolution=record.resolution,
        )

    def _comment_plan(self, record: Comment, done: set[str], plan: _Plan) -> None:
        wanted = [a for a in record.attachments if a.source_id not in done]
        fetched = self._new_files(wanted, plan)
        if not record.body.strip() and not fetched:
            self.report.count("comment", "skipped")
            return
        step = ImportedComment(
            author=self._user(record.author_id),
            body=record.body,
            is_public=record.is_public,
            at=record.created_at,
            attachments=[new for _item, new in fetched],
        )
        plan.add(step, record, [item for item, _new in fetched])

    def _plan_write(self, ticket: Ticket, plan: _Plan) -> None:
        """One service call for the whole history; remember what each step wrote."""
        written = ticket_import_history(ticket=ticket, steps=plan.steps)
        for result, source, files in zip(written, plan.sources, plan.files, strict=True):
            if isinstance(source, Comment) and result.comment is not None:
                self._remember(ImportedKind.COMMENT, source.source_id, result.comment)
                self.report.count("comment", "created")
            elif isinstance(source, StatusChange):
                self._remember(ImportedKind.STATUS_CHANGE, source.source_id, ticket)
                self.report.count("status change", "created")
            for item, attachment in zip(files, result.attachments, strict=True):
                self._remember(ImportedKind.ATTACHMENT, item.source_id, attachment)
            self.report.count("attachment", "created", len(result.attachments))

    def _assign_due(self, assignee: User, step: _Step) -> bool:
        """The assignee took the request when support first acted: a status change away from
        waiting for support, or their first public answer (the first response, for the SLA)."""
        if isinstance(step.record, Comment):
            author = self.people.user_id(step.record.author_id)
            return step.record.is_public and author == assignee.pk
        status = self.status_for(step.record.status)
        return status is not None and status != Status.WAITING_FOR_SUPPORT

    def _new_files(
        self, files: Iterable[Attachment], plan: _Plan
    ) -> list[tuple[Attachment, NewAttachment]]:
        """Fetch the files; an empty or unreadable one is reported and left out."""
        fetched = []
        for item in files:
            try:
                content = item.fetch()
            except Exception as exc:  # a file the source cannot give: the rest still comes
                plan.is_complete = False
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


def _merge_note_id(record: Request) -> str:
    """The source id the note of a merged request is remembered under."""
    return f"{record.source_id}:merged-into:{record.merged_into}" if record.merged_into else ""


@dataclass
class _Plan:
    """The service steps of one request, with the source record each comes from and the
    source files it carries (to remember what each became)."""

    steps: list[ImportedStep] = field(default_factory=list)
    sources: list[Comment | StatusChange | None] = field(default_factory=list)
    files: list[list[Attachment]] = field(default_factory=list)
    is_complete: bool = True

    def add(
        self, step: ImportedStep, source: Comment | StatusChange | None, files: list[Attachment]
    ) -> None:
        self.steps.append(step)
        self.sources.append(source)
        self.files.append(files)
