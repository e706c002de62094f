"""The emergency line's note in every language (docs/languages.md#names)."""

from modeltranslation.translator import TranslationOptions, register

from supportal.company.models import SupportLine
from supportal.core.names import SITE_FALLBACK


@register(SupportLine)
class SupportLineNames(TranslationOptions):
    fields = ("emergency_note",)
    fallback_languages = SITE_FALLBACK
    empty_values = None
