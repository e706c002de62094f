"""Contacts edited in the Django admin write the same change log as the portal's edits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supportal.accounts.models import Contact
from supportal.company.models import ContactChangeKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(cast) -> Client:
    web = Client()
    web.force_login(cast.admin)
    return web


def admin_form(contact: Contact, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "organization": contact.organization_id,
        "user": contact.user_id or "",
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "gender": contact.gender,
        "title": contact.title,
        "mobile": contact.mobile,
        "email": contact.email,
        "function": contact.function,
        "is_active": "on" if contact.is_active else "",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value != ""}


def test_an_admin_edit_writes_a_change_with_old_and_new_values(admin_web, cast, radu):
    response = admin_web.post(
        reverse("admin:accounts_contact_change", args=[radu.pk]),
        admin_form(radu, mobile="0722 000 000", last_name="Popescu"),
    )
    assert response.status_code == 302
    change = radu.changes.get()
    assert (change.kind, change.actor) == (ContactChangeKind.UPDATED, cast.admin)
    assert change.changes == {
        "last_name": ["Bodomoiu", "Popescu"],
        "mobile": ["", "0722 000 000"],
    }


def test_an_admin_save_without_changes_writes_nothing(admin_web, radu):
    admin_web.post(reverse("admin:accounts_contact_change", args=[radu.pk]), admin_form(radu))
    assert not radu.changes.exists()


def test_an_admin_deactivation_is_logged_and_locks_the_linked_user(admin_web, cast):
    contact = Contact.objects.create(
        organization=cast.cristina_srl,
        user=cast.colleague,
        first_name="Col",
        last_name="League",
        email=cast.colleague.email,
    )
    admin_web.post(
        reverse("admin:accounts_contact_change", args=[contact.pk]),
        admin_form(contact, is_active=""),
    )
    change = contact.changes.get()
    assert change.kind == ContactChangeKind.DEACTIVATED
    assert change.changes == {"is_active": [True, False]}
    cast.colleague.refresh_from_db()
    assert not cast.colleague.is_active


def test_a_contact_added_in_the_admin_is_logged_as_added(admin_web, cast):
    response = admin_web.post(
        reverse("admin:accounts_contact_add"),
        {
            "organization": cast.cristina_srl.pk,
            "first_name": "Ioana",
            "last_name": "Pop",
            "email": "ioana@example.com",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="ioana@example.com")
    change = contact.changes.get()
    assert (change.kind, change.actor) == (ContactChangeKind.CREATED, cast.admin)
    assert change.changes["last_name"] == [None, "Pop"]
    assert change.changes["organization"] == [None, str(cast.cristina_srl)]
