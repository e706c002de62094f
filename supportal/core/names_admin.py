"""The admin's lists sorted by the names their reader sees (docs/languages.md#names).

A column of a translated name (``name``, ``label``, ``title``) sorts by that name in the
reader's language, else the site's, else any filled one — the same fallback the page shows —
case-insensitively; sorting by the bare column would sort by one language and put the rows
without it at one end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import F, TextField, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import HttpRequest
from django.utils.translation import get_language
from modeltranslation.admin import TranslationAdmin

from supportal.core.names import NAME_LANGUAGES, fallback_order

SORTED_SUFFIX = "_sorted"


def name_sort_key(field: str) -> Lower:
    """An expression of the name in ``field`` as the reader sees it, for ``order_by``."""
    reader = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    codes = dict.fromkeys(code for code in (reader, *fallback_order()) if code in NAME_LANGUAGES)
    text = TextField()
    columns = [NullIf(F(f"{field}_{code}"), Value(""), output_field=text) for code in codes]
    return Lower(Coalesce(*columns, Value(""), output_field=text))


class NameSortedAdmin(TranslationAdmin):
    """A translated model's admin whose ``sorted_names`` columns sort by the reader's names,
    also in the model's default order."""

    sorted_names: tuple[str, ...] = ("name",)

    def get_queryset(self, request: HttpRequest) -> Any:
        # The columns sort by these keys (``admin_order_field``).
        keys = {f"{field}{SORTED_SUFFIX}": name_sort_key(field) for field in self.sorted_names}
        return super().get_queryset(request).annotate(**keys)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return [
            self._column(item) if item in self.sorted_names else item
            for item in super().get_list_display(request)
        ]

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Expressions, not the annotations: other admins order this model's choices in their
        # forms with this ordering, on querysets without the annotations.
        ordering = list(super().get_ordering(request) or self.model._meta.ordering or [])
        swapped: list[Any] = []
        for item in ordering:
            descending = isinstance(item, str) and item.startswith("-")
            name = item[1:] if descending else item
            if name in self.sorted_names:
                key = name_sort_key(name)
                item = key.desc() if descending else key.asc()
            swapped.append(item)
        return swapped

    def _column(self, field: str) -> Callable[[Any], Any]:
        # One function per field and admin: the changelist compares columns by identity
        # (``get_sortable_by`` asks for the list display again).
        columns = self.__dict__.setdefault("_sorted_columns", {})
        if field not in columns:
            columns[field] = self._column_make(field)
        return columns[field]

    def _column_make(self, field: str) -> Callable[[Any], Any]:
        def column(obj: Any) -> Any:
            return getattr(obj, field)

        column.short_description = self.model._meta.get_field(field).verbose_name  # type: ignore[attr-defined]
        column.admin_order_field = f"{field}{SORTED_SUFFIX}"  # type: ignore[attr-defined]
        column.__name__ = field
        return column
