"""Once company log-in is on, the company's admin page opens (it answered HTTP 500) and links
to the account's password form, and the shared account is nobody's colleague."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.accounts import services
from supportal.tickets import selectors


@pytest.fixture
def company_account(cast, portal):
    portal.is_company_login_enabled = True
    portal.save()
    cast.cristina_srl.has_company_login = True
    cast.cristina_srl.save()
    return services.company_account_ensure(organization=cast.cristina_srl)


def test_the_company_admin_page_opens_and_links_to_the_password_form(client, cast, company_account):
    client.force_login(cast.admin)
    response = client.get(
        reverse("admin:accounts_organization_change", args=[cast.cristina_srl.pk])
    )
    assert response.status_code == 200
    password_url = reverse("admin:auth_user_password_change", args=[company_account.pk])
    assert password_url in response.text
    assert "Set its password" in response.text
    assert client.get(password_url).status_code == 200


def test_the_company_account_is_offered_in_no_share_list(client, cast, company_account):
    assert company_account not in selectors.colleague_queryset(cast.cristina)
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:request", args=[ticket.reference])).text
    assert f'value="{cast.colleague.pk}"' in page
    assert f'value="{company_account.pk}"' not in page
    client.force_login(cast.agent_help)
    agent_page = client.get(reverse("workspace:ticket", args=[ticket.reference])).text
    assert f'value="{cast.colleague.pk}"' in agent_page
    assert f'value="{company_account.pk}"' not in agent_page
