"""``{% app_list_kept %}``: Django's ``admin/app_list.html``, rendered once per list and kept.

Every page of the administration site shows the apps and models a person may use (the
sidebar; the index shows them with their "Change" links). Its list is built once per request
(supportal/core/admin_site.py), but Django's template renders some seventy models' rows anew
on every page: about 4 ms of the page's CPU (docs/architecture.md, "Fifteenth round: the
administration site's sidebar kept"). ``supportal/templates/admin/app_list.html`` is this tag
alone: it renders Django's own template (the one it overrides) and keeps the output.

What the output follows is the key: the active language (the template's own words), the
"Change" links shown or not, every app's and model's name, label and links as the list holds
them (so another person's permissions, another script prefix or a renamed model is another
key), and which of those links the request's path is under (the current app and model). The
list holds only what the site's registrations and the person's permissions give: nothing a
user typed.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Template
from django.template.context import Context
from django.template.defaultfilters import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

NAME = "admin/app_list.html"
# Outputs kept per process (35 KB each for a superuser); all dropped at once when there
# are too many: languages and sets of permissions are few, but each model's pages are a key.
_KEPT: dict[tuple[object, ...], SafeString] = {}
_KEPT_MAX = 256


@register.simple_tag(takes_context=True)
def app_list_kept(context: Context) -> SafeString:
    app_list = context.get("app_list") or []
    request = context.get("request")
    path = urlencode(request.path) if request is not None else ""
    key = (
        get_language(),
        bool(context.get("show_changelinks")),
        tuple(_app_key(app, path) for app in app_list),
    )
    output = _KEPT.get(key)
    if output is None:
        output = _djangos_template(context).render(context)
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        _KEPT[key] = output
    return output


def _under(url: object, path: str) -> bool:
    """The template's ``url in request.path|urlencode`` (a missing link is under nothing)."""
    return isinstance(url, str) and url in path


def _app_key(app: dict[str, Any], path: str) -> tuple[object, ...]:
    models = tuple(
        (
            model["object_name"],
            str(model["name"]),
            model.get("admin_url"),
            model.get("add_url"),
            model.get("view_only"),
            _under(model.get("admin_url"), path),
        )
        for model in app["models"]
    )
    return app["app_label"], str(app["name"]), app["app_url"], _under(app["app_url"], path), models


def _djangos_template(context: Context) -> Template:
    """The ``admin/app_list.html`` that ours overrides: the next one the engine finds."""
    engine = context.template.engine if context.template is not None else None
    if engine is None:
        raise template.TemplateSyntaxError("{% app_list_kept %} renders only inside a template")
    ours = engine.find_template(NAME)[1]
    return engine.find_template(NAME, skip=[ours])[0]
