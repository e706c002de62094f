"""English, Romanian and Czech: complete catalogues, and the right language for each person."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from supportal.tickets.workflow import Status

LOCALES = Path(settings.BASE_DIR) / "supportal" / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{ ?[\w.]+ ?\}\}")


CATALOGUES = [(language, domain) for language in ("ro", "cs") for domain in ("django", "djangojs")]


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_string_is_translated(language, domain):
    """The pages' and mails' catalogue, and the scripts' (served at /jsi18n/)."""
    catalogue = polib.pofile(str(LOCALES / language / "LC_MESSAGES" / f"{domain}.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_translations_keep_their_placeholders(language, domain):
    catalogue = polib.pofile(str(LOCALES / language / "LC_MESSAGES" / f"{domain}.po"))
    for entry in catalogue.translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            # A plural form may drop the count ("one request" for %(count)d).
            assert set(found) <= set(expected + PLACEHOLDER.findall(entry.msgid_plural or "")), (
                entry.msgid
            )
            if not entry.msgid_plural:
                assert found == expected, entry.msgid


@pytest.mark.parametrize(
    ("language", "names"),
    [
        (
            "ro",
            {
                Status.WAITING_FOR_SUPPORT: "În așteptare departament suport",
                Status.IN_PROGRESS: "În lucru",
                Status.WAITING_FOR_CUSTOMER: "În așteptare client",
                Status.WAITING_FOR_THIRD_PARTY: "În așteptare terți",
                Status.RESOLVED: "Rezolvat",
                Status.CLOSED: "Închis",
                Status.CANCELLED: "Anulat",
            },
        ),
        (
            "cs",
            {
                Status.WAITING_FOR_SUPPORT: "Čeká na podporu",
                Status.WAITING_FOR_CUSTOMER: "Čeká na zákazníka",
                Status.RESOLVED: "Vyřešeno",
                Status.CLOSED: "Uzavřeno",
            },
        ),
    ],
)
def test_status_names_are_those_of_the_product(language, names):
    with translation.override(language):
        for status, name in names.items():
            assert str(status.label) == name


def test_the_profile_language_wins_over_the_browser(client, cast):
    ticket = cast.ticket()
    cast.cristina.language = "ro"
    cast.cristina.save(update_fields=["language"])
    client.force_login(cast.cristina)
    page = client.get(
        reverse("portal:request", args=[ticket.reference]), HTTP_ACCEPT_LANGUAGE="cs"
    ).content.decode()
    assert "În așteptare departament suport" in page


def test_without_a_profile_language_the_browser_decides(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="cs,en;q=0.5").content.decode()
    assert 'lang="cs"' in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ro", "Parola este prea scurtă"), ("cs", "Heslo je příliš krátké")],
)
def test_password_refusals_are_in_the_users_language(language, expected):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError) as refusal:
        validate_password("a1")
    messages = " ".join(refusal.value.messages)
    assert expected in messages
    assert "too short" not in messages
