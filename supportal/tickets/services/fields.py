"""The desk's custom fields and the fields an agent may change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, TransitionRefused
from supportal.core.names import names_in_every_language
from supportal.desks.models import (
    CustomField,
    CustomFieldKind,
    Desk,
    Priority,
    Product,
    RequestType,
)
from supportal.tickets import workflow
from supportal.tickets.events import FieldChanged
from supportal.tickets.models import (
    Ticket,
    priority_rank_of,
)
from supportal.tickets.services._common import (
    _clean_text,
    _event,
    _lock,
    _require_support,
    _text_changed,
    _touch,
)


def custom_fields_clean(
    *, desk: Desk, request_type: RequestType | None, values: dict[str, object]
) -> dict[str, object]:
    """Check values against the desk's custom fields for this type; unknown keys are refused."""
    fields = {
        field.name: field
        for field in CustomField.objects.filter(desk=desk)
        if field.request_type_id in (None, getattr(request_type, "pk", None))
    }
    unknown = set(values) - set(fields)
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            field="custom_fields",
        )
    cleaned: dict[str, object] = {}
    for name, field in fields.items():
        value = values.get(name)
        if value in (None, ""):
            if field.is_required:
                raise InvalidInput(_("%(label)s is required.") % {"label": field.label}, field=name)
            continue
        cleaned[name] = _custom_value(field, value)
    return cleaned


def _custom_value(field: CustomField, value: object) -> object:
    text = str(value).strip()
    if field.kind == CustomFieldKind.NUMBER:
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            raise InvalidInput(
                _("%(label)s must be a number.") % {"label": field.label}, field=field.name
            )
        return str(number)
    if field.kind == CustomFieldKind.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidInput(
                _("%(label)s must be a date (YYYY-MM-DD).") % {"label": field.label},
                field=field.name,
            ) from None
    if field.kind == CustomFieldKind.CHOICE and text not in [str(c) for c in field.choices]:
        raise InvalidInput(
            _("%(label)s: choose one of the offered values.") % {"label": field.label},
            field=field.name,
        )
    if len(text) > 500:
        raise InvalidInput(
            _("%(label)s is limited to 500 characters.") % {"label": field.label},
            field=field.name,
        )
    return text


_CHANGEABLE_FIELDS = ("priority", "request_type", "product", "summary", "contact_phone")


class FieldChanges(TypedDict, total=False):
    """What ``ticket_fields_change`` may change; a field not given keeps its value."""

    priority: Priority | None
    request_type: RequestType | None
    product: Product | None
    summary: str
    contact_phone: str
    custom_fields: Mapping[str, object]  # the values by field name


def ticket_fields_change(
    *, ticket: Ticket, actor: User, now: dt.datetime | None = None, **changes: Unpack[FieldChanges]
) -> Ticket:
    """Change priority, request type, product, summary, contact phone or the desk's custom
    fields (``custom_fields``: the values by field name, checked like on creation; the fields
    not given keep their values) — agents only.

    Side effect: one FIELD_CHANGED event per field that really changed (a custom field's event
    names it by its label).
    """
    custom = changes.pop("custom_fields", None)
    unknown = set(changes) - set(_CHANGEABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here."), field=",".join(unknown))
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        _require_support(actor, ticket)
        if ticket.status in workflow.FINAL_STATUSES:
            raise TransitionRefused(_("A closed or cancelled request cannot be changed."))
        changed = []
        for name, value in changes.items():
            if name == "summary":
                value = _clean_text(
                    str(value),
                    field="summary",
                    label=_("Summary"),
                    max_length=ticket.desk.summary_max_length,
                    required=True,
                )
            if isinstance(value, RequestType) and value.desk_id != ticket.desk_id:
                raise InvalidInput(
                    _("This request type belongs to another desk."), field="request_type"
                )
            old = getattr(ticket, f"{name}_id" if name in _FK_FIELDS else name)
            new = getattr(value, "pk", value)
            if old == new:
                continue
            changed += _field_set(ticket, name, value)
            _event(
                ticket,
                FieldChanged(
                    field=name,
                    old=_display(old),
                    new=_display(new),
                    old_label=None,
                    new_label=str(value) if value is not None else "",
                    new_labels=names_in_every_language(value),
                ),
                actor=actor,
                at=at,
            )
        if isinstance(custom, dict):
            changed += _custom_fields_change(ticket, custom, actor=actor, at=at)
        if changed:
            _touch(ticket, at, *changed)
            if "summary" in changed:
                _text_changed(ticket)
    return ticket


_FK_FIELDS = {"priority", "request_type", "product"}


def _field_set(ticket: Ticket, name: str, value: object) -> list[str]:
    """Set one field; the columns to save (a priority carries its rank: Ticket.priority_rank)."""
    setattr(ticket, name, value)
    if name == "priority":
        ticket.priority_rank = priority_rank_of(value)
        return [name, "priority_rank"]
    return [name]


def _custom_fields_change(
    ticket: Ticket, values: dict[str, object], *, actor: User, at: dt.datetime
) -> list[str]:
    old = dict(ticket.custom_fields or {})
    labels = dict(CustomField.objects.filter(desk=ticket.desk).values_list("name", "label"))
    kept = {name: value for name, value in old.items() if name in labels}
    cleaned = custom_fields_clean(
        desk=ticket.desk, request_type=ticket.request_type, values={**kept, **values}
    )
    # Keys no field of the desk defines any longer are kept as they were.
    new = {**{k: v for k, v in old.items() if k not in labels}, **cleaned}
    if new == old:
        return []
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            _event(
                ticket,
                FieldChanged(
                    field=labels.get(name, name),
                    old=_display(old.get(name)),
                    new=_display(new.get(name)),
                    new_label=str(new.get(name, "")),
                ),
                actor=actor,
                at=at,
            )
    ticket.custom_fields = new
    return ["custom_fields"]


def _display(value: object) -> object:
    return value if isinstance(value, str | int | None) else str(value)


def priority_rank_copy(sender: object, instance: Priority, **kwargs: object) -> None:
    """After a priority is saved: its requests carry its new rank (``Ticket.priority_rank``,
    the queue's priority sort). One UPDATE of the requests whose copy differs; nothing when
    the rank did not change. Connected to ``post_save`` of Priority (tickets/apps.py)."""
    Ticket.objects.filter(priority=instance).exclude(priority_rank=instance.rank).update(
        priority_rank=instance.rank
    )
