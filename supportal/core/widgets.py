"""Form widgets that render the same HTML as Django's, faster.

Django renders a widget through templates: a ``<select>`` through one per option, an
``<input>`` through three (the input, its type's, the attributes'). The agent queue's filter
form (desks, statuses, priorities, request types, products, agents, sorts, a company and four
dates) spent a quarter of the page's time there (docs/performance.md). These widgets write the
same markup in Python: ``QuickSelect`` for a single ``<select>`` without option groups,
``QuickTextInput`` and ``QuickDateInput`` for inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def option_tags(choices: Iterable[tuple[object, object]]) -> SafeString:
    """``<option>`` elements (none selected) for a menu written in Python, each value and
    label escaped."""
    return mark_safe(  # noqa: S308 - every value in it is escaped
        "".join(
            f'<option value="{escape(str(value))}">{escape(str(label))}</option>'
            for value, label in choices
        )
    )


def _label_html(label: str) -> str:
    """``conditional_escape(label)`` for a label already made text: markup marked safe as it
    is, anything else escaped, without the lazy-argument checks of Django's ``escape`` (the
    queue's filters write about a hundred options per page)."""
    html = getattr(label, "__html__", None)
    return html() if html is not None else escape(label)


def _template_attrs(attrs: dict[str, Any]) -> str:
    """The attributes as Django's ``attrs.html`` writes them: in their order, ``True`` as a
    bare name, ``False`` left out, anything else (``None`` too) as its text."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A single ``<select>`` without option groups, as ``forms.Select`` renders it."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups
        chosen = set(self.format_value(value))
        options = []
        has_selected = False
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            # One option selected at most, the first that matches (ChoiceWidget.optgroups).
            selected = not has_selected and text in chosen
            has_selected = has_selected or selected
            options.append(
                f'  <option value="{escape(text)}"{" selected" if selected else ""}>'
                f"{_label_html(str(label))}</option>\n\n"
            )
        # Sorted, as this widget always wrote them (``flatatt``).
        select_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(  # noqa: S308 - every value above is escaped
            f'<select name="{conditional_escape(name)}"{select_attrs}>\n{"".join(options)}</select>'
        )


class _QuickInput(forms.widgets.Input):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        value_attr = "" if shown is None else f' value="{conditional_escape(shown)}"'
        return mark_safe(  # noqa: S308 - every value above is escaped
            f'<input type="{conditional_escape(str(self.input_type))}"'
            f' name="{conditional_escape(name)}"{value_attr}'
            f"{_template_attrs(self.build_attrs(self.attrs, attrs))}>"
        )


class QuickTextInput(_QuickInput, forms.TextInput):
    """``forms.TextInput``, as it renders."""


class QuickDateInput(_QuickInput, forms.DateInput):
    """``forms.DateInput``, as it renders."""


class QuickNumberInput(_QuickInput, forms.NumberInput):
    """``forms.NumberInput``, as it renders (a ``DecimalField`` still adds its step and
    minimum: it recognises the class)."""


class QuickTextarea(forms.Textarea):
    """``forms.Textarea``, as ``django/forms/widgets/textarea.html`` renders it."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        text = conditional_escape(shown) if shown else ""
        return mark_safe(  # noqa: S308 - every value above is escaped
            f'<textarea name="{conditional_escape(name)}"'
            f"{_template_attrs(self.build_attrs(self.attrs, attrs))}>\n{text}</textarea>"
        )
