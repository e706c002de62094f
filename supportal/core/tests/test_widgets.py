"""QuickSelect writes the very markup Django's Select writes, without a template per option."""

from __future__ import annotations

import pytest
from django import forms

from supportal.core.widgets import QuickSelect
from supportal.workspace.forms import QueueFilterForm

CASES = [
    ([("", "—"), ("a", "A & b"), ("b", "<B>")], "a", {"id": "id_x"}),
    ([("1", "x")], None, {"id": "id_y", "required": True}),
    ([("", "Any"), ("me", "Me"), ("7", "Ana Pop")], "", {"class": "wide"}),
    ([], None, {}),
]


@pytest.mark.parametrize(("choices", "value", "attrs"), CASES)
def test_the_markup_is_djangos(choices, value, attrs):
    expected = forms.Select(choices=choices).render("f", value, attrs)
    assert QuickSelect(choices=choices).render("f", value, attrs) == expected


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
