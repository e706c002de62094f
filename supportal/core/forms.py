"""Typed access to a form's fields (docs/architecture.md, "Types").

``form.fields[name]`` is a plain ``Field`` to the type checker; a form that sets a choice
field's choices or a model field's queryset at run time asks for the field by its kind, and
a wrong kind fails at once instead of silently setting an attribute nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms


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


class LabelledModelChoiceField(forms.ModelChoiceField[Any]):
    """A model choice whose option text is ``label_of(instance)`` (a request type shown with its
    desk, say) instead of the instance's ``str``."""

    def __init__(self, *args: Any, label_of: Callable[[Any], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_of = label_of

    def label_from_instance(self, obj: Any) -> str:
        return self.label_of(obj)
