"""Password rules (docs/requirements.md#accounts, A2): with Django's length, common-password and
similarity validators, at least 8 characters of which at least 2 digits and at least 1 letter; other
characters allowed.

Administrators change the rule through ``AUTH_PASSWORD_VALIDATORS`` (config/settings.py).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext


class PasswordCompositionValidator:
    """At least ``min_digits`` digits and ``min_letters`` letters; each shortfall is its own
    error, so the person is told every rule the password breaks at once."""

    def __init__(self, min_digits: int = 2, min_letters: int = 1) -> None:
        self.min_digits = min_digits
        self.min_letters = min_letters

    def validate(self, password: str, user: object = None) -> None:
        errors = []
        digits = sum(character.isdigit() for character in password)
        letters = sum(character.isalpha() for character in password)
        if digits < self.min_digits:
            errors.append(
                ValidationError(
                    ngettext(
                        "This password has too few digits: it needs at least %(count)d digit.",
                        "This password has too few digits: it needs at least %(count)d digits.",
                        self.min_digits,
                    ),
                    code="password_too_few_digits",
                    params={"count": self.min_digits},
                )
            )
        if letters < self.min_letters:
            errors.append(
                ValidationError(
                    ngettext(
                        "This password has too few letters: it needs at least %(count)d letter.",
                        "This password has too few letters: it needs at least %(count)d letters.",
                        self.min_letters,
                    ),
                    code="password_too_few_letters",
                    params={"count": self.min_letters},
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        digits = ngettext(
            "at least %(count)d digit", "at least %(count)d digits", self.min_digits
        ) % {"count": self.min_digits}
        letters = ngettext(
            "at least %(count)d letter", "at least %(count)d letters", self.min_letters
        ) % {"count": self.min_letters}
        return gettext("Your password must contain %(digits)s and %(letters)s.") % {
            "digits": digits,
            "letters": letters,
        }


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with its message in our catalogues.

    Django 5.2 changed this message's placeholder to ``%d`` while its Romanian catalogue still
    has the ``%(min_length)d`` wording, so the refusal came out in English.
    """

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
