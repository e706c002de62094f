"""The phone registration asks for the chosen desk's custom fields, with their labels."""

from __future__ import annotations

from django.urls import reverse

from supportal.desks.models import CustomField, CustomFieldKind
from supportal.tickets.models import Ticket
from supportal.workspace.tests.test_register import URL, _form


def _fields(cast):
    CustomField.objects.create(
        desk=cast.help_desk, name="retailer", label="Retailer", is_required=True, position=1
    )
    CustomField.objects.create(
        desk=cast.help_desk,
        name="till",
        label="Till model",
        kind=CustomFieldKind.CHOICE,
        choices=["Datecs", "Tremol"],
        position=2,
    )
    return CustomField.objects.create(desk=cast.dev_desk, name="build", label="Build number")


def test_the_form_shows_each_desks_fields_by_their_labels(client, cast):
    _fields(cast)
    client.force_login(cast.agent_help)
    page = client.get(URL).text
    assert "Retailer" in page
    assert f'name="cf_{cast.help_desk.pk}_till"' in page
    assert "Datecs" in page
    assert "Build number" not in page  # a desk the agent does not work


def test_a_required_field_is_asked_for_and_the_values_are_kept_on_the_request(client, cast):
    _fields(cast)
    client.force_login(cast.agent_help)
    help_key = f"cf_{cast.help_desk.pk}"
    missing = client.post(URL, _form(cast, **{f"{help_key}_till": "Tremol"}))
    assert missing.status_code == 400
    assert "This field is required." in missing.text
    assert 'value="Tremol" selected' in missing.text  # what was chosen stays
    assert not Ticket.objects.exists()

    wrong = client.post(URL, _form(cast, **{f"{help_key}_retailer": "x", f"{help_key}_till": "Y"}))
    assert wrong.status_code == 400
    assert not Ticket.objects.exists()

    done = client.post(
        URL, _form(cast, **{f"{help_key}_retailer": "eMAG", f"{help_key}_till": "Datecs"})
    )
    assert done.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.custom_fields == {"retailer": "eMAG", "till": "Datecs"}
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).text
    assert "Retailer" in page
    assert "eMAG" in page


def test_another_desks_fields_are_not_required_nor_kept(client, cast):
    build = _fields(cast)
    client.force_login(cast.admin)  # works every desk
    response = client.post(
        URL,
        _form(
            cast,
            desk=cast.dev_desk.pk,
            **{f"cf_{cast.dev_desk.pk}_build": "7.1", f"cf_{cast.help_desk.pk}_retailer": "eMAG"},
        ),
    )
    assert response.status_code == 302, response.text[:2000]
    assert Ticket.objects.get().custom_fields == {build.name: "7.1"}
