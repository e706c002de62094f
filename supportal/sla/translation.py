"""SLA policy names, shown to customers, in every language (docs/languages.md#names)."""

from modeltranslation.translator import TranslationOptions, register

from supportal.core.names import SITE_FALLBACK
from supportal.sla.models import Policy


@register(Policy)
class PolicyNames(TranslationOptions):
    fields = ("name",)
    fallback_languages = SITE_FALLBACK
    empty_values = None
