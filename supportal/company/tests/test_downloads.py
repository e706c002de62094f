"""Downloads per product and topic (docs/requirements.md C3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.accounts.models import OrganizationProduct
from supportal.company import services
from supportal.company.models import Download, NewsletterList, Subscription, Topic
from supportal.core.errors import PermissionRefused
from supportal.desks.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def legal(db) -> Topic:
    return Topic.objects.create(name="Actualizări legislative")


@pytest.fixture
def hr(db) -> Product:
    return Product.objects.create(name="HR")


def _publish(cast, product, topic, title="Update", day=1, **kwargs) -> Download:
    return services.download_publish(
        actor=cast.agent_help,
        product=product,
        topic=topic,
        title=title,
        version=kwargs.pop("version", "1.0"),
        released_on=dt.date(2026, 1, day),
        file=SimpleUploadedFile(f"{title}.zip", b"PK-content"),
        **kwargs,
    )


def test_customer_sees_their_products_downloads_newest_first(client, cast, legal, hr):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    _publish(cast, cast.product, legal, title="Old", day=1)
    _publish(cast, cast.product, legal, title="New", day=5)
    _publish(cast, hr, legal, title="Not yours", day=9)
    client.force_login(cast.cristina)
    text = client.get(reverse("portal:downloads")).text
    assert "Not yours" not in text
    assert text.index("New") < text.index("Old")


def test_downloads_filter_by_product_and_topic(client, cast, legal, hr):
    other_topic = Topic.objects.create(name="Documentație")
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=hr)
    _publish(cast, cast.product, legal, title="Tecnet legal")
    _publish(cast, hr, legal, title="HR legal")
    _publish(cast, hr, other_topic, title="HR manual")
    client.force_login(cast.cristina)
    text = client.get(reverse("portal:downloads"), {"product": hr.pk, "topic": legal.pk}).text
    assert "HR legal" in text and "HR manual" not in text and "Tecnet legal" not in text


def test_download_file_is_served_only_to_companies_with_the_product(client, cast, legal):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    download = _publish(cast, cast.product, legal, title="Patch")
    url = reverse("portal:download_file", args=[download.pk])
    client.force_login(cast.other_customer)
    assert client.get(url).status_code == 404
    client.force_login(cast.cristina)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-content"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"


def test_anonymous_visitor_cannot_download(client, cast, legal):
    download = _publish(cast, cast.product, legal)
    response = client.get(reverse("portal:download_file", args=[download.pk]))
    assert response.status_code == 302


def test_only_the_support_team_publishes(cast, legal):
    with pytest.raises(PermissionRefused):
        services.download_publish(
            actor=cast.cristina_admin,
            product=cast.product,
            topic=legal,
            title="X",
            file=SimpleUploadedFile("x.zip", b"x"),
        )


def test_agent_publishes_from_the_workspace(client, cast, legal):
    client.force_login(cast.agent_help)
    response = client.post(
        reverse("workspace:download_publish"),
        {
            "product": cast.product.pk,
            "topic": legal.pk,
            "title": "Declarația 112",
            "version": "2026.1",
            "released_on": "2026-02-01",
            "notes": "Noul format",
            "file": SimpleUploadedFile("d112.zip", b"zip"),
        },
    )
    assert response.status_code == 302
    download = Download.objects.get()
    assert (download.version, download.file_name, download.published_by) == (
        "2026.1",
        "d112.zip",
        cast.agent_help,
    )


def test_publishing_can_tell_the_products_list_subscribers(cast, legal, radu):
    newsletter = NewsletterList.objects.create(name="NL Tecnet tehnic", product=cast.product)
    NewsletterList.objects.create(name="NL other")
    Subscription.objects.create(newsletter=newsletter, contact=radu)
    download = _publish(cast, cast.product, legal, title="Patch", notify_subscribers=True)
    issue = download.issues.get()
    assert issue.newsletter == newsletter
    assert list(issue.deliveries.values_list("email", flat=True)) == ["radu@example.com"]


def test_downloads_page_queries_do_not_grow_with_rows(
    client, cast, legal, django_assert_max_num_queries
):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    _publish(cast, cast.product, legal, title="first")
    client.force_login(cast.cristina)
    url = reverse("portal:downloads")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for day in range(2, 12):
        _publish(cast, cast.product, legal, title=f"more{day}", day=day)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "more11" in client.get(url).text
