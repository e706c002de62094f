"""The form renderer: Django's own form and widget templates rendered by their Jinja2 twins.

Django renders every form field through templates, a widget through two or three (an
``<input>``: the input, its type's, the attributes'), a ``<select>`` through one more per
option; the administration site's change pages render a few hundred of them, and Django's
template language spent some 40 % of such a page's CPU there. Django ships each of its form
templates twice, for its own language (``django/forms/templates``) and for Jinja2
(``django/forms/jinja2``), with the same markup, and Jinja2 compiles a template to one Python
function. This renderer takes each of Django's own templates from its Jinja2 twin, and every
other template (the administration site's widgets, an app's own) from Django's engine as before
(docs/architecture.md, "Sixteenth round: Django's form templates through Jinja2"). Where an
app's templates folder overrides any of Django's form templates, all of them come from Django's
engine, since an override of one (``input.html``) is included by others (``text.html``); the
folders are looked at once per process.

The markup is the same but for what a browser reads alike: Jinja2 writes ``&#39;`` and
``&#34;`` where Django writes ``&#x27;`` and ``&quot;``, and leaves out some blank lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2
from django.utils.functional import cached_property

_FORMS = Path(django.forms.__file__).parent


class FormRenderer(DjangoTemplates):
    @cached_property
    def twins(self) -> Jinja2:
        # As Django's own Jinja2 renderer makes its engine, without the apps' jinja2 folders.
        return Jinja2(
            {
                "APP_DIRS": False,
                "DIRS": [_FORMS / "jinja2"],
                "NAME": "djangoforms-jinja2",
                "OPTIONS": {},
            }
        )

    @cached_property
    def overridden(self) -> bool:
        """Whether a templates folder of Django's engine, other than Django's own, holds any of
        Django's form templates."""
        own = _FORMS / "templates"
        folders = [Path(folder) for folder in self.engine.template_dirs]
        return any(f != own and (f / "django" / "forms").is_dir() for f in folders)

    def get_template(self, template_name: str) -> Any:
        if template_name.startswith("django/forms/") and not self.overridden:
            try:
                return self.twins.get_template(template_name)
            except TemplateDoesNotExist:  # a template of Django's without a twin
                pass
        return self.engine.get_template(template_name)
