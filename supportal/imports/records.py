"""The common, typed records every source yields, and what a source is.

A reader turns its system's data into these records, one at a time: the companies, then the
people, then each request carrying its own conversation, files, status history and rating —
so the writer can write one request in one transaction and nothing holds the whole history
in memory (docs/import.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from supportal.tickets.workflow import Status


@dataclass(frozen=True)
class Company:
    source_id: str
    name: str
    registration_number: str = ""


@dataclass(frozen=True)
class Person:
    """An agent or a customer. ``email`` may be empty for a deleted user: the writer gives
    them an address of their own that cannot receive mail."""

    source_id: str
    email: str
    name: str = ""
    company_id: str | None = None
    is_agent: bool = False
    is_deleted: bool = False
    phone: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file, fetched only when written (``fetch``), so a dry run downloads nothing."""

    source_id: str
    name: str
    size: int
    fetch: Callable[[], bytes]
    content_type: str = ""


@dataclass(frozen=True)
class Comment:
    source_id: str
    author_id: str | None
    body: str
    is_public: bool
    created_at: dt.datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class StatusChange:
    """The request entered ``status`` (the source's name for it) at ``at``."""

    source_id: str
    status: str
    at: dt.datetime
    actor_id: str | None = None


@dataclass(frozen=True)
class Rating:
    """The customer's satisfaction rating, on Supportal's scale of 1 to 5."""

    source_id: str
    rating: int
    message: str
    at: dt.datetime
    person_id: str | None = None


@dataclass(frozen=True)
class FieldValue:
    """A request's value of one of the source's custom fields, with the field's definition
    as the source gives it: its ``label`` (the desk's field is found or made by it), its
    ``kind`` (``text``, ``choice``, ``number``, ``date`` or ``checkbox``) and, for a choice,
    the choices the source offers (docs/import.md)."""

    label: str
    kind: str
    value: object
    choices: tuple[str, ...] = ()
    is_visible_to_customer: bool = False


@dataclass(frozen=True)
class Request:
    """A request with everything said and done on it.

    ``key`` and ``number`` are its reference in the source (``HELP`` and 161); the reference
    is kept when ``key`` is the target desk's key. ``status`` is its current status in the
    source; ``status_changes`` its history when the source has one.
    """

    source_id: str
    summary: str
    details: str
    requester_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    status: str
    key: str = ""
    number: int | None = None
    assignee_id: str | None = None
    participant_ids: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()
    rating: Rating | None = None
    resolution: str = ""
    old_links: tuple[str, ...] = field(default=())
    # The source's names for them; the writer maps them onto the desk's (docs/import.md).
    priority: str = ""
    # The source's group, service desk or project (--desk-map) and request type (--type-map).
    group: str = ""
    request_type: str = ""
    custom_fields: tuple[FieldValue, ...] = ()
    # Merged into (Freshdesk) or a duplicate of (Jira) another request: its source id, and
    # how the source names it (#162, HELP-12) for when it is not imported.
    merged_into: str = ""
    merged_into_label: str = ""

    @property
    def reference(self) -> str:
        return f"{self.key}-{self.number}" if self.key and self.number else ""


Record = Company | Person | Request


class ImportSource(Protocol):
    """A reader of one system. ``name`` identifies the instance (``freshdesk:acme``): what it
    imported is remembered under it. ``statuses`` maps its status names to Supportal's (the
    administrator's ``--status`` options override them). ``records`` yields companies, then
    people, then requests, streaming."""

    @property
    def name(self) -> str: ...

    @property
    def statuses(self) -> Mapping[str, Status]: ...

    def records(self) -> Iterator[Record]: ...
