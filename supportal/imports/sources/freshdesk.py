"""Freshdesk, through its REST API v2 (docs/import.md#freshdesk).

Read in this order: companies, agents, contacts (active, then deleted), the ticket fields
(status names, custom fields), the groups, the satisfaction ratings (kept by ticket id: a
rating arrives with its ticket), then the tickets oldest first, each with its conversations
(replies and private notes) and their files, its group, type, priority and custom fields.
Pages follow the ``Link`` header; 429 answers wait for ``Retry-After`` (``imports.http``).

Freshdesk's API has no status history: the ticket's ``stats`` instants (pending since,
resolved, closed) stand for it, so the SLA clocks pause and stop when they did there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from supportal.imports.http import JsonClient
from supportal.imports.records import (
    Attachment,
    Comment,
    Company,
    FieldValue,
    Person,
    Rating,
    Record,
    Request,
    StatusChange,
)
from supportal.imports.text import html_to_text
from supportal.tickets.workflow import Status

PER_PAGE = 100
# Freshdesk's built-in statuses (custom ones are named by the status ticket field).
BUILT_IN_STATUSES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
STATUSES: Mapping[str, Status] = {
    "Open": Status.WAITING_FOR_SUPPORT,
    "Pending": Status.WAITING_FOR_CUSTOMER,
    "Resolved": Status.RESOLVED,
    "Closed": Status.CLOSED,
    "Waiting on Customer": Status.WAITING_FOR_CUSTOMER,
    "Waiting on Third Party": Status.WAITING_FOR_THIRD_PARTY,
}
PRIORITIES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
# The ticket fields' custom types → the kinds of imports.records.FieldValue (others: text).
_FIELD_KINDS = {
    "custom_dropdown": "choice",
    "custom_number": "number",
    "custom_decimal": "number",
    "custom_date": "date",
    "custom_checkbox": "checkbox",
}
# A merged ticket: closed, with the private note the merge adds ("… merged into ticket #20");
# the API has no field for it.
_MERGED = re.compile(r"merged\s+into\s+(?:the\s+)?ticket\s*(?:<a[^>]*>\s*)?#\s*(\d+)", re.I)
# The classic satisfaction survey's answers on Supportal's scale of 1 to 5.
_RATING_SCALE = {103: 5, 102: 5, 101: 4, 100: 3, -101: 2, -102: 1, -103: 1}
# Tickets of every age: without it, the list holds the last 30 days only.
_SINCE_EVER = "2000-01-01T00:00:00Z"


def _instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _id(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass
class FreshdeskSource:
    base_url: str
    api_key: str
    client: JsonClient = field(init=False)
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUSES))
    ratings: dict[str, Rating] = field(default_factory=dict, init=False)
    status_names: dict[int, str] = field(default_factory=dict, init=False)
    groups: dict[str, str] = field(default_factory=dict, init=False)
    # The custom ticket fields by name (cf_…): label, kind, choices, shown to customers.
    fields: dict[str, FieldValue] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        # Freshdesk's basic authentication: the API key as the user, any password.
        self.client = JsonClient(self.base_url, username=self.api_key, password="X")  # noqa: S106

    @property
    def name(self) -> str:
        return f"freshdesk:{urlsplit(self.base_url).netloc}"

    def records(self) -> Iterator[Record]:
        for row in self.client.pages("/api/v2/companies", {"per_page": PER_PAGE}):
            yield Company(source_id=str(row["id"]), name=row.get("name") or "")
        for row in self.client.pages("/api/v2/agents", {"per_page": PER_PAGE}):
            yield self._agent(row)
        for row in self.client.pages("/api/v2/contacts", {"per_page": PER_PAGE}):
            yield self._contact(row, is_deleted=False)
        for row in self.client.pages(
            "/api/v2/contacts", {"state": "deleted", "per_page": PER_PAGE}
        ):
            yield self._contact(row, is_deleted=True)
        self._lookups_read()
        params = {
            "per_page": PER_PAGE,
            "order_by": "created_at",
            "order_type": "asc",
            "updated_since": _SINCE_EVER,
            "include": "description,stats",
        }
        for row in self.client.pages("/api/v2/tickets", params):
            yield self._ticket(row)

    def _agent(self, row: Mapping[str, Any]) -> Person:
        contact = row.get("contact") or {}
        return Person(
            source_id=str(row["id"]),
            email=contact.get("email") or "",
            name=contact.get("name") or "",
            is_agent=True,
            is_deleted=contact.get("active") is False and row.get("deactivated") is True,
            phone=contact.get("phone") or contact.get("mobile") or "",
        )

    def _contact(self, row: Mapping[str, Any], *, is_deleted: bool) -> Person:
        return Person(
            source_id=str(row["id"]),
            email=row.get("email") or "",
            name=row.get("name") or "",
            company_id=_id(row.get("company_id")),
            is_deleted=is_deleted or bool(row.get("deleted")),
            phone=row.get("phone") or row.get("mobile") or "",
        )

    def _lookups_read(self) -> None:
        """The status names (custom statuses included), the custom fields, the groups and
        the ratings."""
        self.status_names = dict(BUILT_IN_STATUSES)
        for row in self.client.get("/api/v2/ticket_fields"):
            if row.get("name") == "status":
                for key, names in (row.get("choices") or {}).items():
                    label = names[0] if isinstance(names, list) and names else str(names)
                    self.status_names[int(key)] = label
            elif not row.get("default") and row.get("name"):
                self.fields[row["name"]] = _field(row)
        for row in self.client.pages("/api/v2/groups", {"per_page": PER_PAGE}):
            self.groups[str(row["id"])] = row.get("name") or ""
        for row in self.client.pages(
            "/api/v2/surveys/satisfaction_ratings",
            {"per_page": PER_PAGE, "created_since": _SINCE_EVER},
        ):
            self._rating_keep(row)

    def _rating_keep(self, row: Mapping[str, Any]) -> None:
        answers = row.get("ratings") or {}
        value = answers.get("default_question")
        at = _instant(row.get("created_at"))
        if value not in _RATING_SCALE or at is None:
            return
        self.ratings[str(row["ticket_id"])] = Rating(
            source_id=str(row["id"]),
            rating=_RATING_SCALE[value],
            message=row.get("feedback") or "",
            at=at,
            person_id=_id(row.get("user_id")),
        )

    def _attachment(self, row: Mapping[str, Any]) -> Attachment:
        url = row.get("attachment_url") or ""
        return Attachment(
            source_id=str(row["id"]),
            name=row.get("name") or "file",
            size=int(row.get("size") or 0),
            content_type=row.get("content_type") or "",
            fetch=lambda: self.client.fetch(url)[0],
        )

    def _conversations(self, ticket_id: int) -> tuple[Comment, ...]:
        comments = []
        path = f"/api/v2/tickets/{ticket_id}/conversations"
        for row in self.client.pages(path, {"per_page": PER_PAGE}):
            created = _instant(row.get("created_at"))
            if created is None:
                continue
            comments.append(
                Comment(
                    source_id=str(row["id"]),
                    author_id=_id(row.get("user_id")),
                    body=row.get("body_text") or html_to_text(row.get("body") or ""),
                    is_public=not row.get("private"),
                    created_at=created,
                    attachments=tuple(map(self._attachment, row.get("attachments") or ())),
                )
            )
        return tuple(comments)

    def _history(self, row: Mapping[str, Any]) -> tuple[StatusChange, ...]:
        stats = row.get("stats") or {}
        changes = []
        for key, status in (
            ("pending_since", "Pending"),
            ("resolved_at", "Resolved"),
            ("closed_at", "Closed"),
        ):
            at = _instant(stats.get(key))
            if at is not None:
                changes.append(StatusChange(f"{row['id']}:{key}:{stats[key]}", status, at))
        return tuple(sorted(changes, key=lambda change: change.at))

    def _custom_values(self, row: Mapping[str, Any]) -> tuple[FieldValue, ...]:
        values = []
        for name, value in (row.get("custom_fields") or {}).items():
            known = self.fields.get(name)
            label = known.label if known else name.removeprefix("cf_")
            kind = known.kind if known else "text"
            choices = known.choices if known else ()
            visible = known.is_visible_to_customer if known else False
            values.append(FieldValue(label, kind, value, choices, visible))
        return tuple(values)

    def _ticket(self, row: Mapping[str, Any]) -> Request:
        created = _instant(row["created_at"]) or dt.datetime.now(dt.UTC)
        updated = _instant(row.get("updated_at")) or created
        comments = self._conversations(int(row["id"]))
        merged = _merged_into(row, comments)
        return Request(
            source_id=str(row["id"]),
            number=int(row["id"]),
            summary=row.get("subject") or "",
            details=row.get("description_text") or html_to_text(row.get("description") or ""),
            requester_id=str(row["requester_id"]),
            created_at=created,
            updated_at=updated,
            status=self.status_names.get(int(row.get("status") or 2), f"status {row['status']}"),
            assignee_id=_id(row.get("responder_id")),
            comments=comments,
            attachments=tuple(map(self._attachment, row.get("attachments") or ())),
            status_changes=self._history(row),
            rating=self.ratings.get(str(row["id"])),
            priority=PRIORITIES.get(int(row.get("priority") or 0), ""),
            group=self.groups.get(str(row.get("group_id")), ""),
            request_type=row.get("type") or "",
            custom_fields=self._custom_values(row),
            merged_into=merged,
            merged_into_label=f"#{merged}" if merged else "",
        )


def _field(row: Mapping[str, Any]) -> FieldValue:
    """A custom ticket field's definition (``/api/v2/ticket_fields``), as a value to fill."""
    choices = row.get("choices") or ()
    if isinstance(choices, Mapping):
        choices = list(choices)
    names = tuple(
        str(c.get("value") or c.get("label") or "") if isinstance(c, Mapping) else str(c)
        for c in choices
    )
    return FieldValue(
        label=row.get("label") or row["name"],
        kind=_FIELD_KINDS.get(row.get("type") or "", "text"),
        value=None,
        choices=tuple(filter(None, names)),
        is_visible_to_customer=bool(row.get("displayed_to_customers")),
    )


def _merged_into(row: Mapping[str, Any], comments: tuple[Comment, ...]) -> str:
    """The ticket this closed one was merged into, from the merge's private note."""
    if int(row.get("status") or 0) != 5:
        return ""
    for comment in reversed(comments):
        found = None if comment.is_public else _MERGED.search(comment.body)
        if found and found.group(1) != str(row["id"]):
            return found.group(1)
    return ""
