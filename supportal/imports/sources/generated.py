"""A source that makes up its history as it goes: for measuring the writer (docs/import.md)
and for tests. Nothing is held: each request is built when it is asked for."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from functools import partial

from supportal.imports.records import (
    Attachment,
    Comment,
    Company,
    Person,
    Record,
    Request,
    StatusChange,
)
from supportal.tickets.workflow import Status

STATUSES: Mapping[str, Status] = {
    "open": Status.WAITING_FOR_SUPPORT,
    "working": Status.IN_PROGRESS,
    "resolved": Status.RESOLVED,
    "closed": Status.CLOSED,
}
_START = dt.datetime(2021, 3, 1, 8, 0, tzinfo=dt.UTC)


def _file_content(size: int, salt: int) -> bytes:
    line = f"Raport de eroare {salt}: conexiune EDI întreruptă.\n".encode()
    return (line * (size // len(line) + 1))[:size]


@dataclasses.dataclass
class GeneratedSource:
    """``requests`` requests in ``companies`` companies, each with ``comments`` comments (every
    fifth internal) of which the first ``attachments`` carry a file of ``file_size`` bytes;
    the status history goes open → working → resolved → closed. ``fail_after``: raise after
    that many requests (an interrupted import, for tests)."""

    requests: int = 100
    comments: int = 20
    attachments: int = 2
    companies: int = 5
    file_size: int = 20_000
    key: str = "HELP"
    fail_after: int | None = None
    name: str = "generated:local"
    statuses: Mapping[str, Status] = dataclasses.field(default_factory=lambda: dict(STATUSES))

    @property
    def total(self) -> int:
        return self.requests

    def records(self) -> Iterator[Record]:
        for c in range(self.companies):
            yield Company(source_id=f"c{c}", name=f"Firma {c} SRL", registration_number=f"RO{c}")
            yield Person(
                source_id=f"p{c}",
                email=f"client{c}@firma{c}.ro",
                name=f"Ana Pop{c}",
                company_id=f"c{c}",
            )
        yield Person(
            source_id="agent", email="agent@import.example", name="Jan Novák", is_agent=True
        )
        for n in range(1, self.requests + 1):
            if self.fail_after is not None and n > self.fail_after:
                raise ConnectionError("the source went away")
            yield self.request(n)

    def request(self, n: int) -> Request:
        created = _START + dt.timedelta(hours=n)
        customer = f"p{n % self.companies}"
        comments = []
        for i in range(self.comments):
            is_public = i % 5 != 4
            author = customer if i % 2 == 0 else "agent"
            files = (
                (
                    Attachment(
                        source_id=f"r{n}a{i}",
                        name=f"jurnal-{n}-{i}.txt",
                        size=self.file_size,
                        content_type="text/plain",
                        fetch=partial(_file_content, self.file_size, n * 100 + i),
                    ),
                )
                if i < self.attachments
                else ()
            )
            comments.append(
                Comment(
                    source_id=f"r{n}c{i}",
                    author_id=author,
                    body=f"Mesajul {i} la cererea {n}: factura nu a ajuns la distribuitor.",
                    is_public=is_public,
                    created_at=created + dt.timedelta(minutes=10 * (i + 1)),
                    attachments=files,
                )
            )
        end = created + dt.timedelta(minutes=10 * (self.comments + 2))
        changes = (
            StatusChange(f"r{n}s1", "working", created + dt.timedelta(minutes=5), "agent"),
            StatusChange(f"r{n}s2", "resolved", end, "agent"),
            StatusChange(f"r{n}s3", "closed", end + dt.timedelta(days=3), None),
        )
        return Request(
            source_id=f"r{n}",
            key=self.key,
            number=n,
            summary=f"Cererea {n}: facturile nu se transmit",
            details="Facturile din 3 martie nu au ajuns la distribuitor.",
            requester_id=customer,
            assignee_id="agent",
            created_at=created,
            updated_at=end + dt.timedelta(days=3),
            status="closed",
            comments=tuple(comments),
            status_changes=changes,
            resolution="Conexiunea EDI a fost repornită.",
        )
