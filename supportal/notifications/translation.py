"""The support line's texts in every mail footer, in every language (docs/languages.md#names)."""

from modeltranslation.translator import TranslationOptions, register

from supportal.core.names import SITE_FALLBACK
from supportal.notifications.models import NotificationSettings


@register(NotificationSettings)
class NotificationSettingsNames(TranslationOptions):
    fields = ("team_name", "working_hours", "footer_note")
    fallback_languages = SITE_FALLBACK
    empty_values = None
