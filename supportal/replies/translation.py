"""Canned replies in every language (docs/languages.md#names)."""

from modeltranslation.translator import TranslationOptions, register

from supportal.core.names import SITE_FALLBACK
from supportal.replies.models import CannedReply


@register(CannedReply)
class CannedReplyNames(TranslationOptions):
    fields = ("title", "body")
    fallback_languages = SITE_FALLBACK
    empty_values = None
