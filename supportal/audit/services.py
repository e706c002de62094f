"""Writing the audit log, and the retention purge (docs/audit.md).

``audit_record`` is called by services inside the transaction of the change it records: the
entry commits or rolls back with it. Secrets never reach the log: any value whose field name
says it is one (password, secret, token, key, code, hash …) is replaced by ``REDACTED``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from supportal.audit.context import RequestMeta, current_meta, request_meta_of
from supportal.audit.models import Action, AuditEntry, AuditSettings
from supportal.core.observability import request_id_var

REDACTED = "[redacted]"
# By field name: anything that names a secret is never stored, in any nesting.
_SECRET_NAME = re.compile(
    r"pass(word|phrase)?|secret|token|api_?key|private|credential|hash|otp|recovery|"
    r"signing|salt|authorization|cookie",
    re.IGNORECASE,
)
_MAX_TEXT = 2000


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def _plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: dates as ISO text, models as their label and id."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)[:200]}
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, Iterable):
        return [_plain(item) for item in value]
    return str(value)[:_MAX_TEXT]


def redact(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``values`` made safe to store: secrets by field name replaced, the rest made plain."""
    if values is None:
        return None
    return {
        str(name): REDACTED if is_secret_name(str(name)) else _plain(value)
        for name, value in values.items()
    }


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of ``obj``'s concrete fields (or of ``fields``) for ``before``/``after``;
    foreign keys as their id. Secret fields are redacted when recorded."""
    names = list(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if names is not None and field.name not in names:
            continue
        if field.name in ("id", "created_at", "updated_at"):
            continue
        values[field.name] = getattr(obj, field.attname)
    return values


def changed_only(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, on both sides."""
    names = [name for name in after if _plain(before.get(name)) != _plain(after.get(name))]
    names += [name for name in before if name not in after]
    return {n: before.get(n) for n in names}, {n: after.get(n) for n in names}


def _object_fields(obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_label": ""}
    return {
        "object_type": obj._meta.label_lower[:80],
        "object_id": str(obj.pk or "")[:64],
        "object_label": str(obj)[:200],
    }


def audit_record(
    *,
    actor: Any = None,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    request_meta: RequestMeta | Any = None,
    desk_id: int | None = None,
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit entry. ``actor``: the user who acted (None: the system, or an anonymous
    visitor — then ``actor_label`` may name who they claimed to be). ``request_meta``: a
    ``RequestMeta``, an ``HttpRequest``, or None for the current request's (a worker has none).
    ``desk_id``: the desk the change belongs to (team leads read their desks' entries); taken
    from ``obj.desk_id`` when it has one.
    Side effects: one AuditEntry row, in the caller's transaction."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if request_meta is None:
        meta = current_meta.get() or RequestMeta(request_id=request_id_var.get())
    elif isinstance(request_meta, RequestMeta):
        meta = request_meta
    else:
        meta = request_meta_of(request_meta)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if desk_id is None and obj is not None:
        is_desk = obj._meta.label_lower == "desks.desk"
        desk_id = obj.pk if is_desk else getattr(obj, "desk_id", None)
    entry = AuditEntry(
        created_at=now or timezone.now(),
        actor=actor,
        actor_label=(getattr(actor, "email", "") if actor is not None else actor_label)[:254],
        token_label=meta.token_label,
        action=action,
        desk_id=desk_id,
        before=redact(before),
        after=redact(after),
        ip=meta.ip,
        user_agent=meta.user_agent[:300],
        request_id=meta.request_id[:64],
        **_object_fields(obj),
    )
    entry.save(force_insert=True)
    return entry


def audit_purge(now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention (``AuditSettings.retention_days``), and
    record that it did, with how many and up to when. Returns how many. Run daily by the
    worker (``apps.py``). Side effects: deletes rows; one AUDIT_PURGED entry when any went."""
    now = now or timezone.now()
    days = AuditSettings.load().retention_days
    cutoff = now - dt.timedelta(days=days)
    with transaction.atomic():
        deleted = AuditEntry.objects.purge_before(cutoff)
        if deleted:
            audit_record(
                action=Action.AUDIT_PURGED,
                after={"deleted": deleted, "before": cutoff, "retention_days": days},
                request_meta=RequestMeta(),
                now=now,
            )
    return deleted


def audit_exported(
    *, actor: Any, what: str, filters: Mapping[str, Any], obj: models.Model | None = None
) -> AuditEntry:
    """Someone exported data (``what``: the export's name) with these filters, of ``obj`` when
    it is one object (a request: its desk's team leads see the entry).
    Side effects: an EXPORTED entry."""
    return audit_record(
        actor=actor, action=Action.EXPORTED, obj=obj, after={"export": what, **filters}
    )


def json_safe(value: Any) -> str:
    """An entry's before/after as one line of JSON (the CSV export)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""
