"""A desk's custom field as a form field, for every form that asks for one (the portal's new
request, the workspace's phone registration)."""

from __future__ import annotations

from typing import Any

from django import forms

from supportal.desks.models import CustomField, CustomFieldKind


def custom_form_field(field: CustomField) -> forms.Field:
    """Never required here: whether it is depends on the chosen request type (and, in the
    workspace, the desk), which the form checks in its ``clean``."""
    common: dict[str, Any] = {"label": field.label, "required": False}
    if field.kind == CustomFieldKind.CHOICE:
        # Stored as typed, shown in the reader's language (docs/languages.md#names).
        choices = [("", "—"), *field.choice_pairs()]
        return forms.ChoiceField(choices=choices, **common)
    if field.kind == CustomFieldKind.NUMBER:
        return forms.DecimalField(**common)
    if field.kind == CustomFieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=500, **common)
