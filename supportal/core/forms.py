"""Typed access to a form's fields (docs/architecture.md, "Types").

``form.fields[name]`` is a plain ``Field`` to the type checker; a form that sets a choice
field's choices or a model field's queryset at run time asks for the field by its kind, and
a wrong kind fails at once instead of silently setting an attribute nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field


def listed_choices(form: forms.BaseForm, name: str, queryset: Any, listed: list[Any]) -> list[Any]:
    """Offer ``listed`` (the rows of ``queryset`` the form has read) in the form's
    :class:`ListedChoiceField` ``name``; returns ``listed``."""
    field = form.fields[name]
    if not isinstance(field, ListedChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a listed choice field")
    field.choices_list(queryset, listed)
    return listed


class LabelledModelChoiceField(forms.ModelChoiceField[Any]):
    """A model choice whose option text is ``label_of(instance)`` (a request type shown with its
    desk, say) instead of the instance's ``str`` (without ``label_of``, the ``str``)."""

    def __init__(
        self, *args: Any, label_of: Callable[[Any], str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.label_of = label_of

    def label_from_instance(self, obj: Any) -> str:
        return self.label_of(obj) if self.label_of else super().label_from_instance(obj)


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a :class:`ListedChoiceField`: its list once given, never its queryset
    again (before that, the queryset's)."""

    def _listed(self) -> list[Any] | None:
        return getattr(self.field, "listed", None)

    def __iter__(self) -> Any:
        listed = self._listed()
        if listed is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in listed:
            yield self.choice(obj)

    def __len__(self) -> int:
        listed = self._listed()
        if listed is None:
            return super().__len__()
        return len(listed) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        listed = self._listed()
        if listed is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(listed)


class ListedChoiceField(LabelledModelChoiceField):
    """A model choice whose choices the form has read (``listed``, in the order shown): they
    are rendered from the list, and a submitted value is looked up among them, not asked of
    the database again (docs/performance.md). Until ``listed`` is set it is a plain
    ``ModelChoiceField``; ``label_of`` names an option otherwise than ``str``."""

    iterator = ListedChoiceIterator
    listed: list[Any] | None = None

    def choices_list(self, queryset: Any, listed: list[Any]) -> None:
        """Offer ``listed``, the rows of ``queryset`` (its model and field names are kept)."""
        self.queryset = queryset
        self.listed = listed
        self.widget.choices = self.choices

    def to_python(self, value: object) -> object:
        if (
            self.listed is None
            or self.queryset is None
            or value in self.empty_values
            or not isinstance(value, str)
        ):
            return super().to_python(value)
        self.validate_no_null_characters(value)
        key_name = self.to_field_name or "pk"
        meta = self.queryset.model._meta
        try:
            key = (meta.pk if key_name == "pk" else meta.get_field(key_name)).to_python(value)
        except ValidationError:
            key = None
        for choice in self.listed:
            if getattr(choice, key_name) == key:
                return choice
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )
