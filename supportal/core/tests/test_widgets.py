"""QuickSelect, QuickTextInput, QuickDateInput, QuickNumberInput and QuickTextarea write the
very markup Django's widgets write through Django's template language, without a template per
option or input (docs/performance.md, "Sixth round", "Eighth round"). The project renders
Django's form templates through their Jinja2 twins (supportal/core/form_renderer.py), which
escape quotes differently; these tests compare with Django's own renderer."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from supportal.core.widgets import (
    QuickDateInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextarea,
    QuickTextInput,
)
from supportal.workspace.forms import QueueFilterForm, QuoteForm


@pytest.fixture(autouse=True)
def _djangos_renderer(settings):
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"


CASES = [
    ([("", "—"), ("a", "A & b"), ("b", "<B>")], "a", {"id": "id_x"}),
    ([("1", "x")], None, {"id": "id_y", "required": True}),
    ([("", "Any"), ("me", "Me"), ("7", "Ana Pop")], "", {"class": "wide"}),
    ([], None, {}),
    ([("a", "x"), ("a", "y"), (None, "n"), (3, "t")], ["a", "3"], {"aria-invalid": "true"}),
    ([("<'\"&>", "<q>")], "<'\"&>", {"id": "i", "hidden": False}),
    # A label marked safe is written as it is, a lazy one translated and escaped.
    ([("s", mark_safe("<b>bold</b> &amp;")), ("l", gettext_lazy("Nobody"))], "l", {}),
]

INPUT_VALUES = [None, "", 'x<"y>', 0, 7, "not a date", dt.date(2026, 1, 2)]
INPUT_ATTRS = [
    {},
    {"maxlength": "200", "id": "id_company", "aria-describedby": "id_company_helptext"},
    {"required": True, "disabled": False, "data-x": None, "title": "\"'<&"},
]


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_the_markup_is_djangos(choices, value, attrs):
    expected = forms.Select(choices=choices).render("f", value, attrs)
    assert QuickSelect(choices=choices).render("f", value, attrs) == expected


@pytest.mark.parametrize("value", INPUT_VALUES)
@pytest.mark.parametrize("attrs", INPUT_ATTRS)
def test_the_inputs_markup_is_djangos(value, attrs):
    for own in ({}, {"maxlength": "200"}):
        expected = forms.TextInput(attrs=own).render("company", value, attrs)
        assert QuickTextInput(attrs=own).render("company", value, attrs) == expected
        plain_date = forms.DateInput(attrs=own, format="%Y-%m-%d")
        plain_date.input_type = "date"
        quick_date = QuickDateInput(attrs=own, format="%Y-%m-%d")
        quick_date.input_type = "date"
        assert quick_date.render("day", value, attrs) == plain_date.render("day", value, attrs)


def test_the_queue_filters_inputs_render_as_with_djangos(cast):
    data = {"company": 'A & "B" <C>', "created_from": "2026-01-02", "updated_to": "nonsense"}
    form = QueueFilterForm(data, user=cast.lead_help)
    quick = {name: str(form[name]) for name in form.fields}
    inputs = {
        name: field
        for name, field in form.fields.items()
        if isinstance(field.widget, QuickTextInput | QuickDateInput)
    }
    assert set(inputs) == {
        "q",
        "company",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    }
    for name, field in inputs.items():
        plain = (
            forms.DateInput(format="%Y-%m-%d")
            if isinstance(field.widget, QuickDateInput)
            else forms.TextInput()
        )
        plain.input_type = field.widget.input_type
        plain.attrs = field.widget.attrs
        field.widget = plain
        assert str(form[name]) == quick[name], name
    assert 'aria-invalid="true"' in quick["updated_to"]


def test_the_queue_filters_render_as_with_djangos_select(cast):
    agent = cast.lead_help
    form = QueueFilterForm({"status": "in_progress", "assignee": "me"}, user=agent)
    quick = {name: str(form[name]) for name in form.fields}
    selects = [name for name, field in form.fields.items() if isinstance(field.widget, QuickSelect)]
    assert len(selects) == 8
    for name in selects:
        field = form.fields[name]
        plain = forms.Select(choices=field.widget.choices)
        plain.attrs = field.widget.attrs
        field.widget = plain
        assert str(form[name]) == quick[name], name
    assert "<option" in quick["assignee"] and 'value="me" selected' in quick["assignee"]


@pytest.mark.parametrize("value", [*INPUT_VALUES, "a\nb & <c>", "1.50"])
@pytest.mark.parametrize("attrs", INPUT_ATTRS)
def test_the_number_input_and_the_text_area_are_djangos(value, attrs):
    for own in ({}, {"rows": 2}, {"step": "0.01", "min": "0"}):
        expected = forms.NumberInput(attrs=own).render("price", value, attrs)
        assert QuickNumberInput(attrs=own).render("price", value, attrs) == expected
        expected = forms.Textarea(attrs=own).render("note", value, attrs)
        assert QuickTextarea(attrs=own).render("note", value, attrs) == expected


@pytest.mark.parametrize(
    "data", [None, {"price": "-1", "currency": 'R<"N>', "deadline": "x", "note": "<b>&</b>"}]
)
def test_the_quote_form_renders_as_with_djangos_widgets(data):
    form = QuoteForm(data, initial={"currency": "RON"})
    quick = {name: str(form[name]) for name in form.fields}
    plain_widgets = {
        "price": forms.NumberInput(),
        "currency": forms.TextInput(),
        "deadline": forms.DateInput(format="%Y-%m-%d"),
        "note": forms.Textarea(attrs={"rows": 2}),
    }
    plain_widgets["deadline"].input_type = "date"
    for name, widget in plain_widgets.items():
        field = form.fields[name]
        widget.attrs.update(field.widget_attrs(widget))
        widget.is_required = field.required
        field.widget = widget
        assert str(form[name]) == quick[name], name
    if data:
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in quick["note"]
