"""Zammad, through its REST API (docs/import.md#zammad).

Read in this order with an access token (``Authorization: Token token=…``): organizations,
users (``expand=true``: their role names; an Agent or Admin is an agent, also when they are a
Customer too), then the tickets oldest first (``expand=true``: the state's name), each with its
articles (``/ticket_articles/by_ticket/<id>``), its tags and the articles' files (fetched from
``/ticket_attachment/<ticket>/<article>/<file>`` only when written). Lists are read with
``page`` and ``per_page`` until a page comes back short (Zammad gives no total); 429 answers wait
for ``Retry-After`` (``imports.http``).

The first article is the request's description, its files the request's. The status
history comes from each ticket's history (``/ticket_history/<id>``): every change of its
``state`` with its time and author, and a merge into another ticket (``merged_into``). A
ticket whose history has no state change (an instance that keeps none) gets one change, at its
``close_at``, when it is closed. The ticket's group is the desk's source group, its priority
name ("2 normal") the source priority.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from supportal.imports.http import JsonClient
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

PER_PAGE = 100
# Zammad's own states; a state the firm added is "not mapped" until --status maps it.
STATUSES: Mapping[str, Status] = {
    "new": Status.WAITING_FOR_SUPPORT,
    "open": Status.WAITING_FOR_SUPPORT,
    "pending reminder": Status.WAITING_FOR_CUSTOMER,
    "pending close": Status.RESOLVED,
    "closed": Status.CLOSED,
    "merged": Status.CLOSED,
    "removed": Status.CANCELLED,
}
# Zammad's default priorities onto Supportal's of the same meaning (--priority changes them).
PRIORITIES: Mapping[str, str] = {"1 low": "Low", "2 normal": "Normal", "3 high": "High"}
_AGENT_ROLES = {"Agent", "Admin"}
# Zammad's default roles by id, for a user listed without role names.
_AGENT_ROLE_IDS = {1, 2}
# User 1 is Zammad's system user ("-"): what it did was done by no one.
SYSTEM_USER = 1


def _instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class _TokenClient(JsonClient):
    """The JSON client with Zammad's token header, sent to the Zammad host only."""

    token: str = ""

    def _headers(self, url: str) -> dict[str, str]:
        headers = super()._headers(url)
        if self.token and urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            headers["Authorization"] = f"Token token={self.token}"
        return headers


@dataclass
class ZammadSource:
    base_url: str
    token: str
    per_page: int = PER_PAGE
    client: _TokenClient = field(init=False)
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUSES))
    priorities: Mapping[str, str] = field(default_factory=lambda: dict(PRIORITIES))

    def __post_init__(self) -> None:
        self.client = _TokenClient(self.base_url, token=self.token)

    @property
    def name(self) -> str:
        return f"zammad:{urlsplit(self.base_url).netloc}"

    def _list(self, path: str, **params: Any) -> Iterator[Any]:
        return self.client.pages(path, {"page": 1, "per_page": self.per_page, **params})

    def records(self) -> Iterator[Record]:
        for row in self._list("/api/v1/organizations"):
            yield Company(source_id=str(row["id"]), name=row.get("name") or "")
        for row in self._list("/api/v1/users", expand="true"):
            if row["id"] != SYSTEM_USER:
                yield self._user(row)
        for row in self._list("/api/v1/tickets", expand="true"):
            yield self._ticket(row)

    def _user(self, row: Mapping[str, Any]) -> Person:
        roles = set(row.get("roles") or ())
        is_agent = bool(roles & _AGENT_ROLES) or (
            not roles and bool(set(row.get("role_ids") or ()) & _AGENT_ROLE_IDS)
        )
        name = f"{row.get('firstname') or ''} {row.get('lastname') or ''}".strip()
        organization = row.get("organization_id")
        return Person(
            source_id=str(row["id"]),
            email=row.get("email") or "",
            name=name,
            company_id=str(organization) if organization else None,
            is_agent=is_agent,
            is_deleted=row.get("active") is False,
            phone=row.get("phone") or row.get("mobile") or "",
        )

    def _person(self, value: Any) -> str | None:
        return str(value) if value and value != SYSTEM_USER else None

    def _files(self, ticket_id: int, article: Mapping[str, Any]) -> tuple[Attachment, ...]:
        files = []
        for item in article.get("attachments") or ():
            preferences = item.get("preferences") or {}
            if preferences.get("Content-Disposition") == "inline":
                continue  # an image of the HTML body, not a file someone sent
            path = f"/api/v1/ticket_attachment/{ticket_id}/{article['id']}/{item['id']}"
            url = self.client.url(path)
            files.append(
                Attachment(
                    source_id=str(item["id"]),
                    name=item.get("filename") or "file",
                    size=int(item.get("size") or 0),
                    content_type=preferences.get("Mime-Type") or "",
                    fetch=partial(self._download, url),
                )
            )
        return tuple(files)

    def _download(self, url: str) -> bytes:
        return self.client.fetch(url)[0]

    def _body(self, article: Mapping[str, Any]) -> str:
        body = article.get("body") or ""
        if "html" in (article.get("content_type") or ""):
            return html_to_text(body)
        return body.strip()

    def _comment(self, ticket_id: int, article: Mapping[str, Any]) -> Comment:
        # origin_by_id: the customer an agent wrote a phone note for.
        author = self._person(article.get("origin_by_id") or article.get("created_by_id"))
        return Comment(
            source_id=str(article["id"]),
            author_id=author,
            body=self._body(article),
            is_public=not article.get("internal"),
            created_at=_instant(article.get("created_at")) or dt.datetime.now(dt.UTC),
            attachments=self._files(ticket_id, article),
        )

    def _ticket(self, row: Mapping[str, Any]) -> Request:
        ticket_id = int(row["id"])
        articles = list(
            self.client.get(f"/api/v1/ticket_articles/by_ticket/{ticket_id}", {"expand": "true"})
        )
        first = articles[0] if articles else None
        created = _instant(row.get("created_at")) or dt.datetime.now(dt.UTC)
        comments = [self._comment(ticket_id, article) for article in articles[1:]]
        tags = self.client.get("/api/v1/tags", {"object": "Ticket", "o_id": ticket_id})
        names = sorted((tags or {}).get("tags") or ())
        if names:  # Supportal has no tags: an internal note keeps them with the request
            comments.append(
                Comment(
                    source_id=f"{ticket_id}:tags:{','.join(names)}",
                    author_id=None,
                    body="Zammad tags: " + ", ".join(names),
                    is_public=False,
                    created_at=created,
                )
            )
        state = row.get("state") or str(row.get("state_id") or "")
        changes, merged = self._history(ticket_id)
        closed = _instant(row.get("close_at"))
        is_closed = self.statuses.get(state) in (Status.CLOSED, Status.RESOLVED)
        if not changes and closed is not None and is_closed:
            changes = [StatusChange(f"{ticket_id}:closed:{row['close_at']}", state, closed)]
        number = str(row.get("number") or "")
        return Request(
            source_id=str(ticket_id),
            number=int(number) if number.isdigit() else None,
            summary=row.get("title") or "",
            details=self._body(first) if first else "",
            requester_id=str(row.get("customer_id") or f"unknown:{ticket_id}"),
            created_at=created,
            updated_at=_instant(row.get("updated_at")) or created,
            status=state,
            assignee_id=self._person(row.get("owner_id")),
            comments=tuple(comments),
            attachments=self._files(ticket_id, first) if first else (),
            status_changes=tuple(changes),
            group=row.get("group") or "",
            priority=row.get("priority") or "",
            merged_into=merged[0] if merged else "",
            merged_into_label=merged[1] if merged else "",
        )

    def _history(self, ticket_id: int) -> tuple[list[StatusChange], tuple[str, str] | None]:
        """The ticket's state changes, oldest first, and the ticket it was merged into."""
        answer = self.client.get(f"/api/v1/ticket_history/{ticket_id}")
        items = (answer or {}).get("history") or ()
        changes = []
        merged = None
        for item in sorted(items, key=lambda item: (item.get("created_at") or "", item["id"])):
            if item.get("object") != "Ticket" or item.get("o_id", ticket_id) != ticket_id:
                continue  # an article's or another object's
            at = _instant(item.get("created_at"))
            if at is None:
                continue
            actor = self._person(item.get("created_by_id"))
            if item.get("type") == "updated" and item.get("attribute") == "state":
                changes.append(
                    StatusChange(f"history:{item['id']}", item.get("value_to") or "", at, actor)
                )
            elif item.get("type") == "merged_into" and item.get("id_to"):
                # The other ticket's id, and its number for when it was not imported.
                merged = (str(item["id_to"]), str(item.get("value_to") or item["id_to"]))
        return changes, merged
