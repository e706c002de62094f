"""The password rule (docs/requirements.md A2) — at least 8 characters, at least 2 digits, at least
1 letter, other characters allowed — plus Django's common-password and similarity checks. Each
broken rule is named."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from supportal.accounts.models import User
from supportal.accounts.validators import PasswordCompositionValidator


def _codes(password: str, user: User | None = None) -> set[str | None]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return {error.code for error in exc.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Munte-Rosu-42", set()),
        ("ab12cdef", set()),
        ("ţară-și-42", set()),  # letters beyond ASCII count as letters
        ("ab12", {"password_too_short"}),
        ("vbzkrmtq7", {"password_too_few_digits"}),
        ("48213957", {"password_too_few_letters"}),
        ("!!--##12", {"password_too_few_letters"}),
        ("vbz", {"password_too_short", "password_too_few_digits"}),
        ("password", {"password_too_common", "password_too_few_digits"}),
        ("password12", {"password_too_common"}),
    ],
)
def test_each_broken_rule_is_named(password, codes):
    assert _codes(password) == codes


def test_a_password_like_the_persons_name_or_address_is_refused(db):
    user = User(email="cristina.tanasescu@example.com", first_name="Cristina")

    assert "password_too_similar" in _codes("cristina.tanasescu12", user)


def test_the_rule_is_described_in_words():
    texts = password_validation.password_validators_help_texts()

    assert "Your password must contain at least 2 digits and at least 1 letter." in texts
    assert any("at least 8 characters" in text for text in texts)
    assert any("commonly used" in text for text in texts)
    assert any("similar to your other personal information" in text for text in texts)


def test_the_numbers_of_digits_and_letters_are_settings():
    validator = PasswordCompositionValidator(min_digits=3, min_letters=2)

    with pytest.raises(ValidationError) as refused:
        validator.validate("a12")

    assert [error.code for error in refused.value.error_list] == [
        "password_too_few_digits",
        "password_too_few_letters",
    ]
    assert "at least 3 digits and at least 2 letters" in validator.get_help_text()
    assert "it needs at least 3 digits" in refused.value.messages[0]
