"""Reading the audit log (docs/audit.md): filtered, newest first, a page at a time by keyset
(the id: entries are never changed, and ids grow with time), so every page costs the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from supportal.audit.models import AuditEntry

PAGE_SIZE = 50
EXPORT_CAP = 50_000


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""  # part of the e-mail address recorded
    action: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    object_text: str = ""  # "accounts.user", "accounts.user:12", or part of the object's label


def audit_entries_visible(*, is_admin: bool, desk_ids: Iterable[int] = ()) -> QuerySet[AuditEntry]:
    """What a reader may see: administrators everything; team leads the entries of the desks
    they lead (``desk_ids``, worked out by the caller, which knows the desks); others nothing."""
    if is_admin:
        return AuditEntry.objects.all()
    ids = list(desk_ids)
    if not ids:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(desk_id__in=ids)


def audit_entries_filter(entries: QuerySet[AuditEntry], f: AuditFilter) -> QuerySet[AuditEntry]:
    if f.person:
        entries = entries.filter(actor_label__icontains=f.person.strip())
    if f.action:
        entries = entries.filter(action=f.action)
    if f.since is not None:
        entries = entries.filter(created_at__gte=f.since)
    if f.until is not None:
        entries = entries.filter(created_at__lt=f.until)
    text = f.object_text.strip()
    if text:
        kind, _sep, ident = text.partition(":")
        if "." in kind and " " not in kind:
            entries = entries.filter(object_type=kind.lower())
            if ident:
                entries = entries.filter(object_id=ident.strip())
        else:
            entries = entries.filter(Q(object_label__icontains=text) | Q(object_id=text))
    return entries


def audit_page(
    entries: QuerySet[AuditEntry], *, after_id: int | None, size: int = PAGE_SIZE
) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first, starting below ``after_id``; and the id to continue from (None
    on the last page). One query."""
    if after_id is not None:
        entries = entries.filter(id__lt=after_id)
    rows = list(entries.order_by("-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if more and rows else None)


def audit_export_rows(entries: QuerySet[AuditEntry]) -> Iterable[AuditEntry]:
    """The entries for a CSV export, newest first, at most ``EXPORT_CAP``, read in chunks."""
    return entries.order_by("-id")[:EXPORT_CAP].iterator(chunk_size=2000)
