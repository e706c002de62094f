"""What administrators and agents do in the administration site: the portal settings, access
requests, company log-in and invitations."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supportal.accounts import services
from supportal.accounts.models import AccessRequest, AccessRequestState, PortalSettings, User
from supportal.accounts.tests.helpers import mails


@pytest.fixture
def admin_web(cast) -> Client:
    web = Client()
    web.force_login(cast.admin)
    return web


def test_the_portal_settings_are_one_row_to_edit(admin_web, db):
    PortalSettings.objects.all().delete()

    listing = admin_web.get(reverse("admin:accounts_portalsettings_changelist"))

    assert listing.status_code == 200
    assert PortalSettings.objects.get().pk == 1
    assert admin_web.get(reverse("admin:accounts_portalsettings_add")).status_code == 403
    change = admin_web.get(reverse("admin:accounts_portalsettings_change", args=[1]))
    assert "shared accounts hide who did what" in change.content.decode()


def test_an_administrator_approves_an_access_request_into_a_company(admin_web, cast):
    access_request = services.access_request_create(data={"email": "ana@client.test"})
    AccessRequest.objects.filter(pk=access_request.pk).update(organization=cast.cristina_srl)

    admin_web.post(
        reverse("admin:accounts_accessrequest_changelist"),
        {"action": "approve", "_selected_action": [access_request.pk]},
    )

    access_request.refresh_from_db()
    assert access_request.state == AccessRequestState.APPROVED
    assert User.objects.get(email="ana@client.test").organization == cast.cristina_srl
    assert len(mails("invitation")) == 1


def test_switching_company_log_in_on_creates_the_company_account(admin_web, cast):
    url = reverse("admin:accounts_organization_change", args=[cast.cristina_srl.pk])
    page = admin_web.get(url).content.decode()
    assert "shared company account hides which person did what" in page
    data = {
        "name": "Cristina SRL",
        "registration_number": "RO123",
        "is_active": "on",
        "has_company_login": "on",
    }
    for prefix in ("domains", "product_links", "contracts"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = admin_web.post(url, data, follow=True)

    assert response.status_code == 200
    account = User.objects.get(organization=cast.cristina_srl, is_company_account=True)
    assert not account.has_usable_password()
    assert "set the company account" in response.content.decode()


def test_the_user_list_sends_invitations_to_people_without_a_password(admin_web, cast):
    waiting = User.objects.create_user("scrie@client.test", organization=cast.cristina_srl)

    admin_web.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "send_invitation", "_selected_action": [waiting.pk, cast.cristina.pk]},
    )

    assert [mail.to for mail in mails("invitation")] == [["scrie@client.test"]]
