"""The form renderer writes Django's own markup (supportal/core/form_renderer.py): every field kind
Django has, bound with awkward values and errors, reads the same as through Django's renderer;
templates that are not Django's own still come from Django's engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template.backends.django import DjangoTemplates as DjangoEngine
from django.template.backends.jinja2 import Template as Jinja2Template
from django.utils.datastructures import MultiValueDict

from supportal.core.form_renderer import FormRenderer

FORMS_TEMPLATES = Path(forms.__file__).parent / "templates"

AWKWARD = '<b>Cristina\'s</b> "printer" & co'
CHOICES = [("a", "Alpha <1>"), ("b", AWKWARD), ("c", "Charlie")]


class EveryField(forms.Form):
    text = forms.CharField(max_length=5, help_text=AWKWARD)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"placeholder": AWKWARD}))
    number = forms.IntegerField(min_value=3)
    decimal = forms.DecimalField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    several_hidden = forms.MultipleChoiceField(
        choices=CHOICES, widget=forms.MultipleHiddenInput, required=False
    )
    choice = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=[("Group <g>", CHOICES), ("z", "Zulu")], required=False)
    several = forms.MultipleChoiceField(choices=CHOICES)
    boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    agree = forms.BooleanField(label=AWKWARD)
    maybe = forms.NullBooleanField()
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    parts = forms.DateField(widget=forms.SelectDateWidget(years=[2025, 2026]), required=False)
    moment = forms.SplitDateTimeField(required=False)
    at = forms.TimeField(required=False)
    web = forms.URLField(required=False, assume_scheme="https")
    file = forms.FileField(required=False)
    picture = forms.FileField(widget=forms.ClearableFileInput, required=False)

    def clean(self) -> dict:
        raise forms.ValidationError(AWKWARD)


def _bound() -> EveryField:
    data = {
        "text": AWKWARD,
        "email": "not an address <x>",
        "number": "1",
        "password": AWKWARD,
        "body": f"{AWKWARD}\n</textarea><script>",
        "hidden": AWKWARD,
        "several_hidden": ["a", "b"],
        "choice": "b",
        "several": ["a", "c"],
        "boxes": ["b"],
        "radio": "nope",
        "maybe": "unknown",
        "day": "2026-02-30",
        "parts_day": "4",
        "parts_month": "12",
        "parts_year": "2026",
        "moment_0": "2026-12-04",
        "moment_1": "25:00",
        "web": "javascript:alert(1)",
    }
    upload: UploadedFile = SimpleUploadedFile("a<b>.txt", b"x")
    files = MultiValueDict({"file": [upload]})
    form = EveryField(data, files, initial={"picture": "files/old <name>.png"})
    assert not form.is_valid()
    return form


def _readable(html: str) -> str:
    """What a browser reads: the same, whichever way a quote is escaped and wherever blank space
    falls between tags."""
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("layout", ["div", "p", "table", "ul"])
def test_every_field_reads_as_through_djangos_renderer(layout, debug, settings):
    settings.DEBUG = debug  # as `make run` serves (Jinja2 then shows what is undefined)
    ours, djangos = _bound(), _bound()
    ours.renderer = FormRenderer()
    djangos.renderer = DjangoTemplates()

    rendered = getattr(ours, f"as_{layout}")()

    assert _readable(rendered) == _readable(getattr(djangos, f"as_{layout}")())
    assert "<script>" not in rendered and "&lt;b&gt;Cristina" in rendered
    for name in ours.fields:
        assert f'name="{name}' in rendered, name  # every field drawn, none left out


def test_the_project_renders_djangos_templates_through_jinja2_and_the_rest_through_django():
    renderer = get_default_renderer()
    assert isinstance(renderer, FormRenderer)

    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    admin_widget = renderer.get_template("admin/widgets/related_widget_wrapper.html")
    assert not isinstance(admin_widget, Jinja2Template)
    assert "related-widget-wrapper" in admin_widget.render({"widget": {}})


def test_an_apps_override_of_one_of_djangos_templates_turns_the_twins_off(tmp_path):
    override = tmp_path / "django" / "forms" / "widgets" / "input.html"
    override.parent.mkdir(parents=True)
    override.write_text('<input class="ours" type="{{ widget.type }}" name="{{ widget.name }}">')
    renderer = FormRenderer()
    # As an installed app's templates folder would put it before Django's own.
    folders = {"DIRS": [tmp_path, FORMS_TEMPLATES], "APP_DIRS": True}
    renderer.engine = DjangoEngine({**folders, "NAME": "djangoforms", "OPTIONS": {}})

    # text.html and email.html are Django's, and include the overridden input.html.
    assert forms.TextInput().render("summary", "x", renderer=renderer) == (
        '<input class="ours" type="text" name="summary">'
    )
    assert forms.EmailInput().render("email", "x", renderer=renderer) == (
        '<input class="ours" type="email" name="email">'
    )
    assert not FormRenderer().overridden
