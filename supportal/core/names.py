"""Names that administrators type, in every language (docs/languages.md#names).

Desk names, products, request types, priorities, custom-field labels, canned replies, SLA
policy names and the support line's texts are stored once per language by
django-modeltranslation (columns ``name_en``, ``name_ro``, ``name_cs``; each app's
``translation.py`` registers its fields). Reading ``desk.name`` gives the reader's language
(the active one: the page's, or the recipient's while a mail is written); when that one is
empty, the site's language, then any language that is filled.

The site's language is the administrator's (``PortalSettings``, in accounts, a layer above this
one): accounts registers how to read it when the apps are ready (``site_language_source``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings
from django.db import DatabaseError

# The languages in the order a missing name is looked for after the reader's and the site's.
NAME_LANGUAGES: tuple[str, ...] = tuple(code for code, _label in settings.LANGUAGES)

# Reading a name is frequent (every row of a list): the site language is asked for at most
# once per this many seconds per process, and forgotten at once when the administrator
# changes it (``site_language_changed``).
_MEMO_SECONDS = 5.0

_source: Callable[[], str] | None = None
_memo: tuple[float, str] | None = None


def site_language_source(source: Callable[[], str]) -> None:
    """Tell this module how to read the site's language (accounts does, on start-up)."""
    global _source
    _source = source
    site_language_changed()


def site_language_changed() -> None:
    global _memo
    _memo = None


def _site_language() -> str:
    global _memo
    now = time.monotonic()
    if _memo is not None and now - _memo[0] < _MEMO_SECONDS:
        return _memo[1]
    language = settings.LANGUAGE_CODE
    if _source is not None:
        try:
            language = _source() or language
        except DatabaseError:  # no table yet, e.g. while migrating
            language = settings.LANGUAGE_CODE
    _memo = (now, language)
    return language


def fallback_order() -> tuple[str, ...]:
    """After the reader's own language: the site's, then every other one."""
    site = _site_language()
    return (site, *(code for code in NAME_LANGUAGES if code != site))


class SiteFallback(Mapping[str, tuple[str, ...]]):
    """modeltranslation's ``fallback_languages`` option, computed when a name is read: for
    every language, the site's language and then the others."""

    def __getitem__(self, key: str) -> tuple[str, ...]:
        if key == "default":
            return fallback_order()
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "default":
            return fallback_order()
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(("default",))

    def __len__(self) -> int:
        return 1


SITE_FALLBACK = SiteFallback()


def reader_first_install() -> None:
    """Read the reader's own language before anything else: modeltranslation's descriptor
    computes the whole fallback order (and so asks for the site's language, a query when it
    is not cached) on every read; ours does so only when the reader's value is empty. Run once
    the registrations are done (accounts' ``ready()``, after modeltranslation's)."""
    from modeltranslation.fields import TranslationFieldDescriptor
    from modeltranslation.translator import translator
    from modeltranslation.utils import build_localized_fieldname, get_language

    class ReaderFirst(TranslationFieldDescriptor):
        def __get__(self, instance: Any, owner: Any) -> Any:
            if instance is None:
                return self
            own = instance.__dict__.get(build_localized_fieldname(self.field.name, get_language()))
            if own not in (None, ""):
                return own
            return super().__get__(instance, owner)

    for model in translator.get_registered_models():
        for name in translator.get_options_for_model(model).local_fields:
            descriptor = model.__dict__.get(name)
            if type(descriptor) is TranslationFieldDescriptor:
                descriptor.__class__ = ReaderFirst


def name_columns(path: str) -> tuple[str, ...]:
    """For ``.only()`` on a related name ("desk__name"): that column in every language, so
    reading the name in the reader's language costs no query per row."""
    return (path, *(f"{path}_{code}" for code in NAME_LANGUAGES))


def names_in_every_language(instance: Any) -> dict[str, str]:
    """``str(instance)`` in every language, for a record that outlives the active one (an
    event's "changed to High"); {} for a value without names in several languages."""
    from modeltranslation.translator import NotRegistered, translator

    if instance is None or isinstance(instance, str | int):
        return {}
    try:
        translator.get_options_for_model(type(instance))
    except NotRegistered:
        return {}
    from django.utils import translation

    found = {}
    for code in NAME_LANGUAGES:
        with translation.override(code):
            found[code] = str(instance)
    return found


def names_copy_into_site_language(
    app_label: str, model: str, fields: tuple[str, ...]
) -> Callable[[Any, Any], None]:
    """A migration step: names typed before they had languages were typed in the site's
    language; they become that language's value (the others fall back to it)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        site = apps.get_model("accounts", "PortalSettings").objects.filter(pk=1).first()
        language = getattr(site, "default_language", "") or settings.LANGUAGE_CODE
        if language not in NAME_LANGUAGES:
            language = settings.LANGUAGE_CODE
        rows = apps.get_model(app_label, model).objects.all()
        for row in rows:
            for field in fields:
                value = getattr(row, field)
                setattr(row, f"{field}_{language}", value if value != "" else None)
            row.save(update_fields=[f"{field}_{language}" for field in fields])

    return forwards
