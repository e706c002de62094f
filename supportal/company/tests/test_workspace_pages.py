"""Agents' list pages: companies, newsletters, downloads; their queries do not grow with rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportal.accounts.models import Contact, Organization
from supportal.company.models import NewsletterList, Subscription

pytestmark = pytest.mark.django_db


def test_companies_page_lists_and_searches_companies(client, cast):
    client.force_login(cast.agent_help)
    text = client.get(reverse("workspace:companies"), {"q": "RO123"}).text
    assert "Cristina SRL" in text and "Other SA" not in text


def test_companies_page_queries_do_not_grow(client, cast, django_assert_max_num_queries):
    client.force_login(cast.agent_help)
    url = reverse("workspace:companies")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    Organization.objects.bulk_create(Organization(name=f"Firma {i}") for i in range(20))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "Firma 19" in client.get(url).text


def test_newsletters_page_queries_do_not_grow(client, cast, django_assert_max_num_queries):
    contact = Contact.objects.create(organization=cast.cristina_srl, first_name="A", last_name="B")
    client.force_login(cast.agent_help)
    url = reverse("workspace:newsletters")
    NewsletterList.objects.create(name="NL 0", product=cast.product)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(1, 10):
        newsletter = NewsletterList.objects.create(name=f"NL {i}", product=cast.product)
        Subscription.objects.create(newsletter=newsletter, contact=contact)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "NL 9" in client.get(url).text


def test_workspace_directory_queries_do_not_grow(client, cast, django_assert_max_num_queries):
    client.force_login(cast.agent_help)
    url = reverse("workspace:company", args=[cast.cristina_srl.pk])
    Contact.objects.create(organization=cast.cristina_srl, first_name="A", last_name="B")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    Contact.objects.bulk_create(
        Contact(organization=cast.cristina_srl, first_name="C", last_name=f"D{i}", user=None)
        for i in range(20)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "D19" in client.get(url).text


def test_customers_cannot_open_the_agents_company_pages(client, cast):
    client.force_login(cast.cristina_admin)
    for name in ("workspace:companies", "workspace:newsletters", "workspace:downloads"):
        assert client.get(reverse(name)).status_code == 403  # the support-team page
