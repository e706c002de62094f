"""What a request is filed under, named in every language (docs/languages.md#names)."""

from modeltranslation.translator import TranslationOptions, register

from supportal.core.names import SITE_FALLBACK
from supportal.desks.models import CustomField, Desk, Priority, Product, RequestType


class _Names(TranslationOptions):
    fallback_languages = SITE_FALLBACK
    # An empty translation is NULL, not "": names unique per language stay unique.
    empty_values = None


@register(Desk)
class DeskNames(_Names):
    fields = ("name", "large_files_hint")


@register(Product)
class ProductNames(_Names):
    fields = ("name", "description")


@register(RequestType)
class RequestTypeNames(_Names):
    fields = ("name", "description")


@register(Priority)
class PriorityNames(_Names):
    fields = ("name",)


@register(CustomField)
class CustomFieldNames(_Names):
    fields = ("label", "choice_labels")
