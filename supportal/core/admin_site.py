"""The administration site: Django's own, with an app list that costs less to build.

Every admin page lists the apps and models the person may use (the navigation sidebar, the
index). Django builds that list anew for each page: two ``reverse()`` calls per model, and it
sorts the models by their translated names kept lazy, so every comparison translates both names
again. Here each model's name and links are made once per URL map, script prefix and language,
and a request builds its list once. The pages show the same
(docs/architecture.md, "Twelfth round: the administration site's pages in the URL walks").

Imported while the apps load (``INSTALLED_APPS`` names ``SupportalAdminConfig``): no models here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch, URLResolver, get_resolver, get_script_prefix, reverse
from django.urls.base import get_urlconf
from django.utils.text import capfirst
from django.utils.translation import get_language

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

AppDict = dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    """A model's name and links as the app list shows them, in one language and URL map."""

    name: str
    changelist_url: str | None
    add_url: str | None
    app_name: str
    app_url: str


class SupportalAdminSite(admin.AdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        # By URL map (a changed one, as tests' ROOT_URLCONF, is a new resolver), then by script
        # prefix and language: each model's entry.
        self._entries: WeakKeyDictionary[URLResolver, dict[tuple[object, ...], Entries]]
        self._entries = WeakKeyDictionary()

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[AppDict]:
        """Django's list (apps by name, models by name within each); the whole list is built
        once per request (``each_context`` and the index both ask for it)."""
        if app_label is None and hasattr(request, "_admin_app_list"):
            return request._admin_app_list
        app_list = sorted(
            self._build_app_dict(request, app_label).values(), key=lambda x: x["name"].lower()
        )
        for app in app_list:
            app["models"].sort(key=lambda x: x["name"])
        if app_label is None:
            request._admin_app_list = app_list  # type: ignore[attr-defined]
        return app_list

    def _build_app_dict(
        self, request: HttpRequest, label: str | _StrPromise | None = None
    ) -> dict[str, AppDict]:
        """Django's ``AdminSite._build_app_dict``; the names and links from ``_entry``."""
        app_dict: dict[str, AppDict] = {}
        entries = self._entries.setdefault(get_resolver(get_urlconf()), {}).setdefault(
            (get_script_prefix(), get_language()), {}
        )
        for model, model_admin in self._registry.items():
            app_label = model._meta.app_label
            if label and app_label != label:
                continue
            has_module_perms = model_admin.has_module_permission(request)
            if not has_module_perms:
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue
            entry = entries.get(model) or entries.setdefault(model, self._entry(model))
            model_dict = _model_dict(model, entry, perms)
            if app_label in app_dict:
                app_dict[app_label]["models"].append(model_dict)
            else:
                app_dict[app_label] = {
                    "name": entry.app_name,
                    "app_label": app_label,
                    "app_url": entry.app_url,
                    "has_module_perms": has_module_perms,
                    "models": [model_dict],
                }
        return app_dict

    def _entry(self, model: type[Model]) -> _Entry:
        app_label = model._meta.app_label
        prefix = f"admin:{app_label}_{model._meta.model_name}"
        return _Entry(
            name=str(capfirst(model._meta.verbose_name_plural)),
            changelist_url=self._url(f"{prefix}_changelist"),
            add_url=self._url(f"{prefix}_add"),
            app_name=str(apps.get_app_config(app_label).verbose_name),
            app_url=reverse(
                "admin:app_list", kwargs={"app_label": app_label}, current_app=self.name
            ),
        )

    def _url(self, name: str) -> str | None:
        try:
            return reverse(name, current_app=self.name)
        except NoReverseMatch:
            return None


Entries = dict[type[Model], _Entry]


def _model_dict(model: type[Model], entry: _Entry, perms: dict[str, bool]) -> AppDict:
    model_dict: AppDict = {
        "model": model,
        "name": entry.name,
        "object_name": model._meta.object_name,
        "perms": perms,
        "admin_url": None,
        "add_url": None,
    }
    if perms.get("change") or perms.get("view"):
        model_dict["view_only"] = not perms.get("change")
        model_dict["admin_url"] = entry.changelist_url
    if perms.get("add"):
        model_dict["add_url"] = entry.add_url
    return model_dict


class SupportalAdminConfig(AdminConfig):
    default_site = "supportal.core.admin_site.SupportalAdminSite"
