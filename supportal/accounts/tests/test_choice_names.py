"""A custom field's choices are named in every language like the other names administrators
type (docs/languages.md#names): stored once as typed, shown in the reader's language, else the
site's, else as stored."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from supportal.accounts.models import PortalSettings
from supportal.desks.models import CustomField, CustomFieldKind
from supportal.tickets import services

pytestmark = pytest.mark.django_db


def _site(language: str) -> None:
    row = PortalSettings.load()
    row.default_language = language
    row.save()


@pytest.fixture
def urgency(cast) -> CustomField:
    return CustomField.objects.create(
        desk=cast.help_desk,
        name="urgency",
        label_en="Impact",
        label_ro="Impact",
        label_cs="Dopad",
        kind=CustomFieldKind.CHOICE,
        choices=["one-user", "whole-company"],
        choice_labels_en="One user\nThe whole company",
        choice_labels_ro="Un utilizator\nToată firma",
        choice_labels_cs="Jeden uživatel\n",  # the second line not typed yet
    )


def test_a_choice_reads_in_the_readers_language_line_by_line(urgency):
    _site("ro")
    field = CustomField.objects.get(pk=urgency.pk)
    with translation.override("cs"):
        assert field.choice_pairs() == [
            ("one-user", "Jeden uživatel"),
            ("whole-company", "whole-company"),  # an empty line: the value as stored
        ]
    with translation.override("ro"):
        assert field.choice_label("whole-company") == "Toată firma"
        assert field.choice_label("gone") == "gone"
    field.choice_labels_cs = None
    field.save()
    with translation.override("cs"):  # no Czech at all: the site's language
        assert CustomField.objects.get(pk=urgency.pk).choice_label("one-user") == "Un utilizator"


def test_a_czech_customer_chooses_in_czech_and_the_value_is_stored_as_typed(client, cast, urgency):
    cast.cristina.language = "cs"
    cast.cristina.save()
    client.force_login(cast.cristina)
    form = client.get(f"{reverse('portal:new')}?desk=HELP").content.decode()
    assert '<option value="one-user">Jeden uživatel</option>' in form

    ticket = services.ticket_create(
        desk=cast.help_desk,
        requester=cast.cristina,
        actor=cast.cristina,
        summary="Nejde tisk",
        details="Tiskárna netiskne.",
        custom_fields={"urgency": "one-user"},
    )
    assert ticket.custom_fields == {"urgency": "one-user"}
    page = client.get(reverse("portal:request", args=[ticket.reference])).content.decode()
    assert "Jeden uživatel" in page

    cast.agent_help.language = "ro"
    cast.agent_help.save()
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    assert '<option value="one-user" selected>Un utilizator</option>' in page


def test_the_admin_types_the_choice_names_side_by_side(client, cast, urgency):
    client.force_login(cast.admin)
    form = client.get(reverse("admin:desks_customfield_change", args=[urgency.pk])).content
    for language in ("en", "ro", "cs"):
        assert f'name="choice_labels_{language}"'.encode() in form
