"""Jira Service Management / Jira Service Desk, through its REST APIs (docs/import.md#jira).

Server, Data Center and Cloud answer these alike: the service desk of the project
(``/rest/servicedeskapi/servicedesk``), its organizations and customers, then the project's
issues oldest first through ``/rest/api/2/search`` (``startAt`` pages) with their changelog
(the status history) and files, each issue's comments through the service desk API (which
says which are public) and its request participants. Agents are the people who act on
issues without being the desk's customers: they are yielded the first time they appear.

A file belongs to the comment that names it (JSM writes ``[^name]`` or ``!name!`` into the
comment a file came with); files no comment names stay on the request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from supportal.imports.http import JsonClient, SourceError
from supportal.imports.records import (
    Attachment,
    Comment,
    Company,
    FieldValue,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.tickets.workflow import Status

PAGE = 50
STATUSES: Mapping[str, Status] = {
    "Open": Status.WAITING_FOR_SUPPORT,
    "Waiting for support": Status.WAITING_FOR_SUPPORT,
    "Waiting for customer": Status.WAITING_FOR_CUSTOMER,
    "In Progress": Status.IN_PROGRESS,
    "Work in progress": Status.IN_PROGRESS,
    "Escalated": Status.IN_PROGRESS,
    "Pending": Status.WAITING_FOR_THIRD_PARTY,
    "Resolved": Status.RESOLVED,
    "Done": Status.RESOLVED,
    "Closed": Status.CLOSED,
    "Canceled": Status.CANCELLED,
    "Cancelled": Status.CANCELLED,
    "Declined": Status.CANCELLED,
}
_EXPERIMENTAL = {"X-ExperimentalApi": "opt-in"}
_FIELDS = (
    "summary,description,status,created,updated,reporter,assignee,attachment,resolution,"
    "priority,issuelinks"
)
_CUSTOM = "com.atlassian.jira.plugin.system.customfieldtypes:"
# The custom field types (``schema.custom`` of /rest/api/2/field) imported, as the kinds of
# imports.records.FieldValue; service desk fields (SLAs, organizations, …) are not.
FIELD_KINDS = {
    f"{_CUSTOM}textfield": "text",
    f"{_CUSTOM}textarea": "text",
    f"{_CUSTOM}url": "text",
    f"{_CUSTOM}select": "choice",
    f"{_CUSTOM}radiobuttons": "choice",
    f"{_CUSTOM}multiselect": "text",
    f"{_CUSTOM}multicheckboxes": "text",
    f"{_CUSTOM}float": "number",
    f"{_CUSTOM}datepicker": "date",
    f"{_CUSTOM}datetime": "date",
}
# The service desk's "Customer Request Type" field.
REQUEST_TYPE_FIELD = "com.atlassian.servicedesk:vp-origin"


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, Mapping):  # the service desk API's {"iso8601": …, "epochMillis": …}
        value = value.get("iso8601")
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def user_id(user: Mapping[str, Any] | None) -> str | None:
    """A Jira user's stable id: Cloud's accountId, Server's key, or the user name."""
    if not user:
        return None
    return user.get("accountId") or user.get("key") or user.get("name") or None


def _mentions(body: str, name: str) -> bool:
    return f"[^{name}]" in body or re.search(rf"!{re.escape(name)}(\||!)", body) is not None


@dataclass
class JiraSource:
    base_url: str
    user: str
    token: str
    project: str
    client: JsonClient = field(init=False)
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUSES))
    total: int | None = field(default=None, init=False)
    _customers: set[str] = field(default_factory=set, init=False)
    _yielded: set[str] = field(default_factory=set, init=False)
    # The service desk's project name (its group, for --desk-map), the custom fields to
    # import by id (name, kind) and the id of the request type's field.
    group: str = field(default="", init=False)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict, init=False)
    type_field: str = field(default="", init=False)

    def __post_init__(self) -> None:
        # The customers list is an "experimental" endpoint: Jira asks callers to opt in.
        self.client = JsonClient(
            self.base_url, username=self.user, password=self.token, headers=dict(_EXPERIMENTAL)
        )
        self.project = self.project.upper()

    @property
    def name(self) -> str:
        return f"jira:{urlsplit(self.base_url).netloc}"

    def _values(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """The items of a service desk API list, page by page (``start``, ``isLastPage``)."""
        start = 0
        while True:
            page = self.client.get(path, {**(params or {}), "start": start, "limit": PAGE})
            values = page.get("values") or []
            yield from values
            if page.get("isLastPage", True) or not values:
                return
            start += len(values)

    def _desk_id(self) -> str:
        for desk in self._values("/rest/servicedeskapi/servicedesk"):
            if str(desk.get("projectKey", "")).upper() == self.project:
                self.group = desk.get("projectName") or self.project
                return str(desk["id"])
        raise SourceError(f"{self.base_url}: no service desk for the project {self.project}")

    def records(self) -> Iterator[Record]:
        desk_id = self._desk_id()
        for organization in self._values(
            f"/rest/servicedeskapi/servicedesk/{desk_id}/organization"
        ):
            yield Company(source_id=str(organization["id"]), name=organization.get("name", ""))
            path = f"/rest/servicedeskapi/organization/{organization['id']}/user"
            for user in self._values(path):
                yield from self._person(user, company_id=str(organization["id"]))
        for user in self._values(f"/rest/servicedeskapi/servicedesk/{desk_id}/customer"):
            yield from self._person(user)
        yield from self._issues()

    def _person(
        self, user: Mapping[str, Any] | None, *, company_id: str | None = None, agent: bool = False
    ) -> Iterator[Person]:
        """The person, once; customers are the desk's customers, anyone else who acts is an
        agent."""
        source_id = user_id(user)
        if user is None or source_id is None or source_id in self._yielded:
            return
        self._yielded.add(source_id)
        if not agent:
            self._customers.add(source_id)
        yield Person(
            source_id=source_id,
            email=user.get("emailAddress") or "",
            name=user.get("displayName") or "",
            company_id=company_id,
            is_agent=agent,
            is_deleted=user.get("active") is False,
        )

    def _fields_read(self) -> None:
        """The custom fields by id (``/rest/api/2/field``): those of the kinds imported, and
        the request type's."""
        for row in self.client.get("/rest/api/2/field"):
            custom = (row.get("schema") or {}).get("custom") or ""
            if custom == REQUEST_TYPE_FIELD:
                self.type_field = row["id"]
            elif row.get("custom") and custom in FIELD_KINDS:
                self.fields[row["id"]] = (row.get("name") or row["id"], FIELD_KINDS[custom])

    def _issues(self) -> Iterator[Record]:
        self._fields_read()
        wanted = ",".join([_FIELDS, *self.fields, *filter(None, [self.type_field])])
        start = 0
        while True:
            page = self.client.get(
                "/rest/api/2/search",
                {
                    "jql": f"project = {self.project} ORDER BY created ASC",
                    "startAt": start,
                    "maxResults": PAGE,
                    "fields": wanted,
                    "expand": "changelog",
                },
            )
            self.total = page.get("total", self.total)
            issues = page.get("issues") or []
            for issue in issues:
                yield from self._issue(issue)
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def _issue(self, issue: Mapping[str, Any]) -> Iterator[Record]:
        fields = issue["fields"]
        key = issue["key"]
        comments = list(self._values(f"/rest/servicedeskapi/request/{key}/comment"))
        participants = list(self._values(f"/rest/servicedeskapi/request/{key}/participant"))
        yield from self._person(fields.get("reporter"))
        yield from self._person(fields.get("assignee"), agent=True)
        for user in participants:
            yield from self._person(user)
        for comment in comments:
            yield from self._person(comment.get("author"), agent=True)
        yield self._request(issue, comments, participants)

    def _attachment(self, row: Mapping[str, Any]) -> Attachment:
        url = row.get("content") or ""
        return Attachment(
            source_id=str(row["id"]),
            name=row.get("filename") or "file",
            size=int(row.get("size") or 0),
            content_type=row.get("mimeType") or "",
            fetch=lambda: self.client.fetch(url)[0],
        )

    def _comments(
        self, rows: list[Mapping[str, Any]], files: list[Mapping[str, Any]]
    ) -> tuple[tuple[Comment, ...], list[Mapping[str, Any]]]:
        """The comments, each with the files it names; the files no comment names."""
        left = list(files)
        comments = []
        for row in rows:
            body = row.get("body") or ""
            named = [f for f in left if _mentions(body, f.get("filename") or "")]
            left = [f for f in left if f not in named]
            created = _instant(row.get("created"))
            if created is None:
                continue
            comments.append(
                Comment(
                    source_id=str(row["id"]),
                    author_id=user_id(row.get("author")),
                    body=body,
                    is_public=bool(row.get("public", True)),
                    created_at=created,
                    attachments=tuple(map(self._attachment, named)),
                )
            )
        return tuple(comments), left

    def _histories(self, issue: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The issue's whole changelog: Cloud's search gives at most 100 histories, the rest
        come from the issue's own changelog pages (``values``, ``isLast``)."""
        changelog = issue.get("changelog") or {}
        histories = list(changelog.get("histories") or ())
        total = int(changelog.get("total") or 0)
        path = f"/rest/api/2/issue/{issue['key']}/changelog"
        while len(histories) < total:
            page = self.client.get(path, {"startAt": len(histories), "maxResults": 100})
            values = page.get("values") or []
            histories.extend(values)
            if page.get("isLast", True) or not values:
                break
        return histories

    def _history(self, issue: Mapping[str, Any]) -> tuple[StatusChange, ...]:
        changes = []
        for history in self._histories(issue):
            at = _instant(history.get("created"))
            for n, item in enumerate(history.get("items") or ()):
                if item.get("field") == "status" and at is not None:
                    changes.append(
                        StatusChange(
                            source_id=f"{history['id']}:{n}",
                            status=item.get("toString") or "",
                            at=at,
                            actor_id=user_id(history.get("author")),
                        )
                    )
        return tuple(sorted(changes, key=lambda change: change.at))

    def _request(
        self,
        issue: Mapping[str, Any],
        comments: list[Mapping[str, Any]],
        participants: list[Mapping[str, Any]],
    ) -> Request:
        fields = issue["fields"]
        desk_key, _dash, number = issue["key"].rpartition("-")
        created = _instant(fields.get("created")) or dt.datetime.now(dt.UTC)
        conversation, loose_files = self._comments(comments, list(fields.get("attachment") or ()))
        duplicate = _duplicate_of(fields)
        return Request(
            source_id=str(issue["id"]),
            key=desk_key,
            number=int(number) if number.isdigit() else None,
            summary=fields.get("summary") or "",
            details=fields.get("description") or "",
            requester_id=user_id(fields.get("reporter")) or "",
            created_at=created,
            updated_at=_instant(fields.get("updated")) or created,
            status=(fields.get("status") or {}).get("name") or "",
            assignee_id=user_id(fields.get("assignee")),
            participant_ids=tuple(filter(None, map(user_id, participants))),
            comments=conversation,
            attachments=tuple(map(self._attachment, loose_files)),
            status_changes=self._history(issue),
            old_links=(issue["key"],),
            priority=(fields.get("priority") or {}).get("name") or "",
            group=self.group,
            request_type=_request_type(fields.get(self.type_field) if self.type_field else None),
            custom_fields=self._custom_values(fields),
            merged_into=duplicate.get("id") or "",
            merged_into_label=duplicate.get("key") or "",
        )

    def _custom_values(self, fields: Mapping[str, Any]) -> tuple[FieldValue, ...]:
        values = []
        for field_id, (label, kind) in self.fields.items():
            value = _plain(fields.get(field_id))
            if value not in (None, "", []):
                values.append(FieldValue(label, kind, value))
        return tuple(values)


def _plain(value: Any) -> Any:
    """A custom field's value as text, number or list of texts (options are ``{"value"}``)."""
    if isinstance(value, Mapping):
        return value.get("value") or value.get("name") or ""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _request_type(value: Any) -> str:
    """The request type's name from the "Customer Request Type" field's value."""
    if isinstance(value, Mapping):
        return str((value.get("requestType") or {}).get("name") or "")
    return ""


def _duplicate_of(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    """The issue this one duplicates, when it was resolved as a duplicate of it: the outward
    issue of its "Duplicate" link (it "duplicates" that one)."""
    if ((fields.get("resolution") or {}).get("name") or "").casefold() != "duplicate":
        return {}
    for link in fields.get("issuelinks") or ():
        kind = ((link.get("type") or {}).get("name") or "").casefold()
        if kind == "duplicate" and link.get("outwardIssue"):
            return link["outwardIssue"]
    return {}
