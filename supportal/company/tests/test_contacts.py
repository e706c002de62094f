"""The contacts directory (docs/requirements.md C1): who sees it, editing, inviting, deactivating,
the change log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.accounts.models import Contact, User
from supportal.company import selectors, services
from supportal.company.models import ContactChange, ContactChangeKind
from supportal.core.errors import InvalidInput, NotFound
from supportal.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_customer_admin_sees_own_company_directory(client, cast, radu):
    client.force_login(cast.cristina_admin)
    response = client.get(reverse("portal:contacts"))
    assert response.status_code == 200
    assert "radu@example.com" in response.text


def test_customer_admin_never_sees_other_company_contacts(client, cast, radu, petr_contact):
    client.force_login(cast.cristina_admin)
    assert "petr@other.test" not in client.get(reverse("portal:contacts")).text
    assert client.get(reverse("portal:contact", args=[petr_contact.pk])).status_code == 404
    response = client.post(
        reverse("portal:contact_active", args=[petr_contact.pk]), {"is_active": "0"}
    )
    assert response.status_code == 404
    petr_contact.refresh_from_db()
    assert petr_contact.is_active


def test_plain_customer_does_not_see_the_directory(client, cast, radu):
    client.force_login(cast.cristina)
    assert client.get(reverse("portal:contacts")).status_code == 404
    assert client.get(reverse("portal:contact", args=[radu.pk])).status_code == 404
    assert "Contact persons" not in client.get(reverse("portal:requests")).text


def test_selectors_refuse_a_plain_customer_and_another_company(cast, radu):
    with pytest.raises(NotFound):
        selectors.contact_list_for_user(cast.cristina, organization=cast.cristina_srl)
    with pytest.raises(NotFound):
        selectors.contact_get_for_user(cast.other_customer, radu.pk)
    assert selectors.contact_get_for_user(cast.agent_dev, radu.pk) == radu


def test_directory_searches_by_name_email_and_function(client, cast, radu):
    Contact.objects.create(organization=cast.cristina_srl, first_name="Ana", last_name="Lisman")
    client.force_login(cast.cristina_admin)
    text = client.get(reverse("portal:contacts"), {"q": "contabil"}).text
    assert "radu@example.com" in text and "Lisman" not in text
    text = client.get(reverse("portal:contacts"), {"q": "lisman"}).text
    assert "Lisman" in text and "radu@example.com" not in text


def test_directory_of_101_contacts_is_paged_and_queries_do_not_grow(
    client, cast, django_assert_max_num_queries
):
    Contact.objects.bulk_create(
        Contact(organization=cast.cristina_srl, first_name=f"P{i:03}", last_name=f"N{i:03}")
        for i in range(3)
    )
    client.force_login(cast.cristina_admin)
    url = reverse("portal:contacts")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    Contact.objects.bulk_create(
        Contact(organization=cast.cristina_srl, first_name=f"Q{i:03}", last_name=f"M{i:03}")
        for i in range(98)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"page": 2})
    assert "101 contacts" in response.text
    assert "Page 2 of 5" in response.text


def test_editing_a_contact_records_who_when_and_what(client, cast, radu):
    client.force_login(cast.cristina_admin)
    response = client.post(
        reverse("portal:contact", args=[radu.pk]),
        {
            "last_name": "Bodomoiu",
            "first_name": "Radu",
            "gender": "m",
            "title": "Dl.",
            "mobile": "0721 000 111",
            "email": "radu@example.com",
            "function": "Director economic",
        },
    )
    assert response.status_code == 302
    radu.refresh_from_db()
    assert radu.function == "Director economic"
    change = ContactChange.objects.get(contact=radu)
    assert change.actor == cast.cristina_admin
    assert change.kind == ContactChangeKind.UPDATED
    assert change.changes == {
        "mobile": ["", "0721 000 111"],
        "function": ["Contabil", "Director economic"],
    }
    page = client.get(reverse("portal:contact", args=[radu.pk])).text
    assert "Contabil → Director economic" in page


def test_saving_without_changes_records_nothing(cast, radu):
    values = {name: getattr(radu, name) for name in services.CONTACT_FIELDS}
    services.contact_update(contact=radu, actor=cast.cristina_admin, values=values)
    assert not ContactChange.objects.exists()


def test_adding_a_contact_needs_a_surname_and_a_unique_email(cast, radu):
    with pytest.raises(InvalidInput):
        services.contact_create(
            organization=cast.cristina_srl, actor=cast.cristina_admin, values={"first_name": "X"}
        )
    with pytest.raises(InvalidInput):
        services.contact_create(
            organization=cast.cristina_srl,
            actor=cast.cristina_admin,
            values={"first_name": "X", "last_name": "Y", "email": "RADU@example.com"},
        )


def test_customer_admin_adds_a_contact(client, cast):
    client.force_login(cast.cristina_admin)
    response = client.post(
        reverse("portal:contact_new"),
        {"last_name": "Lisman", "first_name": "Adrian", "gender": "m", "email": "al@example.com"},
    )
    contact = Contact.objects.get(email="al@example.com")
    assert response.url == reverse("portal:contact", args=[contact.pk])
    assert contact.organization == cast.cristina_srl
    assert contact.changes.get().kind == ContactChangeKind.CREATED


def test_inviting_a_contact_uses_the_invitation_and_links_the_user(client, cast, radu):
    client.force_login(cast.cristina_admin)
    client.post(reverse("portal:contact_invite", args=[radu.pk]))
    radu.refresh_from_db()
    assert radu.user.email == "radu@example.com"
    assert radu.user.organization == cast.cristina_srl
    assert radu.user.invited_by == cast.cristina_admin
    assert OutboundEmail.objects.filter(to=["radu@example.com"], template="invitation").count() == 1
    assert radu.changes.filter(kind=ContactChangeKind.INVITED).exists()


def test_deactivated_contact_cannot_log_in_and_keeps_their_requests(client, cast):
    contact = Contact.objects.create(
        organization=cast.cristina_srl,
        user=cast.colleague,
        first_name="Ion",
        last_name="Popescu",
        email=cast.colleague.email,
    )
    ticket = cast.ticket(requester=cast.colleague)
    services.contact_set_active(contact=contact, actor=cast.cristina_admin, is_active=False)
    cast.colleague.refresh_from_db()
    assert not cast.colleague.is_active
    assert not client.login(username=cast.colleague.email, password="parola123")
    assert ticket.__class__.objects.filter(pk=ticket.pk, requester=cast.colleague).exists()
    assert contact.changes.get().kind == ContactChangeKind.DEACTIVATED

    services.contact_set_active(contact=contact, actor=cast.cristina_admin, is_active=True)
    assert User.objects.get(pk=cast.colleague.pk).is_active


def test_agent_edits_a_company_directory_from_the_workspace(client, cast, radu):
    client.force_login(cast.agent_help)
    page = client.get(reverse("workspace:company", args=[cast.cristina_srl.pk]))
    assert page.status_code == 200 and "radu@example.com" in page.text
    client.post(reverse("workspace:contact_active", args=[radu.pk]), {"is_active": "0"})
    radu.refresh_from_db()
    assert not radu.is_active
    assert radu.changes.get().actor == cast.agent_help


def test_customers_cannot_open_workspace_company_pages(client, cast, radu):
    client.force_login(cast.cristina_admin)
    response = client.get(reverse("workspace:company", args=[cast.cristina_srl.pk]))
    assert response.status_code == 403  # the "for the support team" page, as every workspace page
