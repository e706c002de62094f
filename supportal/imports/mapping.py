"""What a source's groups, request types and custom fields become here (docs/import.md).

Shared by every reader through the writer: a request's ``group`` picks its desk (the
administrator's ``--desk-map``, else the ``--desk``), its ``request_type`` one of that desk's
request types by name (``--type-map`` renames), and each of its ``custom_fields`` one of the
desk's custom fields, found by label or made once with the source's kind and choices. In a dry
run nothing is made; the report says what would be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.desks.models import (
    CustomField,
    CustomFieldKind,
    Desk,
    DeskMembership,
    DeskRole,
    RequestType,
)
from supportal.imports.records import FieldValue
from supportal.imports.report import ImportReport

# A checkbox has no kind of its own here: it becomes a choice of these two, named in each
# language (docs/languages.md#names).
CHECKBOX_CHOICES = ("yes", "no")
CHECKBOX_NAMES = {"en": "Yes\nNo", "ro": "Da\nNu", "cs": "Ano\nNe"}
_KINDS = {
    "text": CustomFieldKind.TEXT,
    "choice": CustomFieldKind.CHOICE,
    "number": CustomFieldKind.NUMBER,
    "date": CustomFieldKind.DATE,
    "checkbox": CustomFieldKind.CHOICE,
}
VALUE_MAX_LENGTH = 500


def pairs_parse(values: list[str], *, option: str) -> dict[str, str]:
    """The administrator's ``SOURCE=OURS`` options (``--desk-map``, ``--type-map``)."""
    mapping = {}
    for value in values:
        name, sep, target = value.rpartition("=")
        if not sep or not name.strip() or not target.strip():
            raise InvalidInput(
                _("“%(value)s”: write SOURCE=NAME.") % {"value": value}, field=option
            )
        mapping[name.strip()] = target.strip()
    return mapping


def desks_resolve(names: Mapping[str, str]) -> dict[str, Desk]:
    """``--desk-map`` GROUP=DESKKEY: each group's desk; a key no desk has is refused."""
    desks = {}
    for group, key in names.items():
        desk = Desk.objects.filter(key=key.upper()).first()
        if desk is None:
            raise InvalidInput(_("There is no desk %(key)s.") % {"key": key}, field="desk_map")
        desks[group] = desk
    return desks


class Mapper:
    """Desks, request types and custom fields for one import's requests."""

    def __init__(
        self,
        *,
        desk: Desk,
        report: ImportReport,
        dry_run: bool,
        desks: Mapping[str, Desk] | None = None,
        types: Mapping[str, str] | None = None,
    ) -> None:
        self.desk = desk
        self.report = report
        self.dry_run = dry_run
        self.desks = {name.casefold(): d for name, d in (desks or {}).items()}
        self.types = {name.casefold(): t for name, t in (types or {}).items()}
        self._types: dict[tuple[int, str], RequestType | None] = {}
        self._fields: dict[tuple[int, str], CustomField | None] = {}
        self._members: set[tuple[int, int]] = set()

    def desk_for(self, group: str) -> Desk:
        """The desk of a source group: the one ``--desk-map`` names, else ``--desk``."""
        return self.desks.get((group or "").casefold(), self.desk)

    def request_type_for(self, desk: Desk, name: str) -> RequestType | None:
        """The desk's request type of that name (after ``--type-map``); None when none."""
        if not name:
            return None
        key = (desk.pk, name.casefold())
        if key not in self._types:
            wanted = self.types.get(name.casefold(), name).strip()
            self._types[key] = RequestType.objects.filter(desk=desk, name__iexact=wanted).first()
        return self._types[key]

    def seen(self, desk: Desk, group: str, request_type: str) -> None:
        """Count a request's group and type in the report."""
        if group or self.desks:
            self.report.desks[(group, desk.key)] += 1
        if request_type:
            found = self.request_type_for(desk, request_type)
            self.report.request_types[(request_type, found.name if found else "")] += 1

    def member_ensure(self, desk: Desk, user: User | None) -> None:
        """An agent working a request of a mapped desk is one of its agents."""
        if user is None or desk.pk == self.desk.pk or not user.is_agent:
            return
        if (desk.pk, user.pk) not in self._members:
            DeskMembership.objects.get_or_create(
                desk=desk, user=user, defaults={"role": DeskRole.AGENT}
            )
            self._members.add((desk.pk, user.pk))

    # -- custom fields ----------------------------------------------------------------------

    def custom_values(self, desk: Desk, values: tuple[FieldValue, ...]) -> dict[str, object]:
        """The request's values by the desk's field names; fields made as needed (counted
        only, in a dry run). A value the field cannot hold is left out."""
        out: dict[str, object] = {}
        for item in values:
            if _is_empty(item.value) and item.kind != "checkbox":  # 0 is a value
                continue
            field = self._field_for(desk, item)
            if field is None:  # a dry run: the field is not made
                continue
            value = self._value(field, item)
            if value not in (None, ""):
                out[field.name] = value
        return out

    def _field_for(self, desk: Desk, item: FieldValue) -> CustomField | None:
        key = (desk.pk, item.label.casefold())
        if key not in self._fields:
            field = CustomField.objects.filter(desk=desk, label__iexact=item.label).first()
            outcome = "mapped" if field is not None else "created"
            if field is None and not self.dry_run:
                field = self._field_create(desk, item)
            self.report.custom_fields[(desk.key, item.label)] = (item.kind, outcome)
            self._fields[key] = field
        return self._fields[key]

    def _field_create(self, desk: Desk, item: FieldValue) -> CustomField:
        """The desk's new field for the source's: its kind, its choices, after the others."""
        base = slugify(item.label).replace("-", "_")[:50] or "field"
        taken = set(CustomField.objects.filter(desk=desk).values_list("name", flat=True))
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        last = CustomField.objects.filter(desk=desk).order_by("-position").first()
        field = CustomField(
            desk=desk,
            name=name,
            label=item.label[:120],
            kind=_KINDS.get(item.kind, CustomFieldKind.TEXT),
            choices=list(dict.fromkeys(item.choices)),
            is_visible_to_customer=item.is_visible_to_customer,
            position=(last.position + 1) if last else 0,
        )
        if item.kind == "checkbox":
            field.choices = list(CHECKBOX_CHOICES)
            for language, names in CHECKBOX_NAMES.items():
                setattr(field, f"choice_labels_{language}", names)
        field.save()
        return field

    def _value(self, field: CustomField, item: FieldValue) -> object:
        """The source's value as the field stores it (as ``custom_fields_clean`` would)."""
        value = item.value
        if item.kind == "checkbox":
            return CHECKBOX_CHOICES[0] if value in (True, "true", "True", "1", 1) else "no"
        if field.kind == CustomFieldKind.NUMBER:
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                return None
            return str(number) if number.is_finite() else None
        if field.kind == CustomFieldKind.DATE:
            return _date(value)
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value).strip()
        is_new_choice = text not in map(str, field.choices)
        if field.kind == CustomFieldKind.CHOICE and is_new_choice and not self.dry_run:
            # A value the source allowed once (a choice since removed there): kept.
            field.choices = [*field.choices, text]
            field.save(update_fields=["choices"])
        return text[:VALUE_MAX_LENGTH]


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str | list) and not value)


def _date(value: object) -> str | None:
    text = str(value or "").strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None
