"""Company self-service (docs/requirements.md C1–C3) in a real browser: a customer admin edits a
contact and subscribes them to a newsletter; a customer downloads an update of their product."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportal.accounts.models import Contact, OrganizationProduct
from supportal.company import services
from supportal.company.models import NewsletterList, Subscription, Topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_customer_admin_edits_a_contact_and_subscribes_them(page, cast, live_server):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    newsletter = NewsletterList.objects.create(
        name="NL CONTABILITATE TEHNIC", code="000CT", product=cast.product
    )
    contact = Contact.objects.create(
        organization=cast.cristina_srl,
        first_name="ADRIAN",
        last_name="BODOMOIU",
        title="Dl.",
        email="adrian.bodomoiu@example.com",
    )
    _log_in(page, cast.cristina_admin, live_server)
    page.goto("/")
    page.get_by_role("link", name="Contact persons").click()
    page.get_by_label("Search", exact=True).fill("bodomoiu")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="BODOMOIU").click()
    page.get_by_label("Mobile").fill("0721 555 666")
    page.get_by_label("Function").fill("Contabil șef")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Contact saved.").wait_for()
    page.get_by_label("NL CONTABILITATE TEHNIC - 000CT").check()
    page.get_by_role("button", name="Save the newsletters").click()
    page.get_by_text("Newsletters saved.").wait_for()
    assert page.locator("#history").get_by_text("Subscribed").is_visible()
    assert page.locator("#history").get_by_text("function: — → Contabil șef").is_visible()
    contact.refresh_from_db()
    assert (contact.mobile, contact.function) == ("0721 555 666", "Contabil șef")
    assert Subscription.objects.filter(contact=contact, newsletter=newsletter).exists()


def test_customer_downloads_an_update_of_their_product(page, cast, live_server):
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    topic = Topic.objects.create(name="Actualizări legislative")
    services.download_publish(
        actor=cast.agent_help,
        product=cast.product,
        topic=topic,
        title="Declarația 112",
        version="2026.2",
        notes="Formular nou",
        released_on=dt.date(2026, 2, 1),
        file=SimpleUploadedFile("d112-2026.2.zip", b"PK\x03\x04update"),
    )
    _log_in(page, cast.cristina, live_server)
    page.goto("/")
    page.get_by_role("link", name="Downloads").click()
    page.get_by_label("Product").select_option(label="Tecnet Web")
    page.get_by_label("Topic").select_option(label="Actualizări legislative")
    page.get_by_role("button", name="Show").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Declarația 112").click()
    download = info.value
    assert download.suggested_filename == "d112-2026.2.zip"
    with open(download.path(), "rb") as stored:
        assert stored.read() == b"PK\x03\x04update"
