"""Newsletters (docs/requirements.md C2): subscriptions by customer admins, self-unsubscribe by a
signed one-click link, throttled sending through the outbox, the report of who received what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import Contact, OrganizationProduct
from supportal.company import services
from supportal.company.models import (
    ContactChangeKind,
    DeliveryState,
    NewsletterList,
    Subscription,
)
from supportal.company.newsletters import newsletter_send_due, unsubscribe_url
from supportal.company.tokens import unsubscribe_token_read
from supportal.core.errors import NotFound
from supportal.core.jobs import registry
from supportal.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def tehnic(cast) -> NewsletterList:
    return NewsletterList.objects.create(
        name="NL CONTABILITATE TEHNIC", code="000CT", product=cast.product
    )


@pytest.fixture
def business(db) -> NewsletterList:
    return NewsletterList.objects.create(name="BUSINESS REPORT", code="000BR")


def test_customer_admin_subscribes_a_contact(client, cast, radu, business):
    client.force_login(cast.cristina_admin)
    client.post(
        reverse("portal:contact_subscriptions", args=[radu.pk]), {"newsletters": [business.pk]}
    )
    assert Subscription.objects.filter(contact=radu, newsletter=business).exists()
    change = radu.changes.get()
    assert (change.kind, change.actor) == (ContactChangeKind.SUBSCRIBED, cast.cristina_admin)

    client.post(reverse("portal:contact_subscriptions", args=[radu.pk]), {})
    assert not Subscription.objects.filter(contact=radu).exists()
    assert radu.changes.filter(kind=ContactChangeKind.UNSUBSCRIBED).count() == 1


def test_lists_of_products_the_company_lacks_are_not_offered(client, cast, radu, tehnic):
    client.force_login(cast.cristina_admin)
    assert "TEHNIC" not in client.get(reverse("portal:contact", args=[radu.pk])).text
    with pytest.raises(NotFound):
        services.subscriptions_set(
            contact=radu, actor=cast.cristina_admin, newsletter_ids=[tehnic.pk]
        )
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    assert "TEHNIC" in client.get(reverse("portal:contact", args=[radu.pk])).text


def test_customer_admin_cannot_subscribe_another_companys_contact(cast, petr_contact, business):
    with pytest.raises(NotFound):
        services.subscriptions_set(
            contact=petr_contact, actor=cast.cristina_admin, newsletter_ids=[business.pk]
        )


def test_an_issue_goes_through_the_outbox_with_list_unsubscribe_headers(cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    issue = services.issue_send(
        newsletter=business, actor=cast.agent_help, subject="Noutăți", body="Text"
    )
    assert OutboundEmail.objects.count() == 0  # only when the worker's turn comes
    assert newsletter_send_due(timezone.now()) == 1
    mail = OutboundEmail.objects.get()
    # The token carries a timestamp, so the link is read back rather than rebuilt (a second
    # may pass between the send and the test).
    link = mail.headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    prefix = unsubscribe_url(contact_id=radu.pk, newsletter_id=business.pk).rsplit("/", 2)[0]
    assert link.startswith(prefix + "/")
    assert unsubscribe_token_read(link.rstrip("/").rsplit("/", 1)[1]) == (radu.pk, business.pk)
    assert mail.to == ["radu@example.com"]
    assert mail.subject == "Noutăți"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mail.body_text
    delivery = issue.deliveries.get()
    assert (delivery.state, delivery.outbound) == (DeliveryState.QUEUED, mail)


def test_the_worker_queue_is_registered():
    assert "company.newsletter" in registry.queues


def test_sending_keeps_the_pace(cast, business, settings):
    settings.SUPPORTAL_NEWSLETTER_PER_MINUTE = 3
    for i in range(5):
        contact = Contact.objects.create(
            organization=cast.cristina_srl, first_name="P", last_name=f"{i}", email=f"p{i}@x.test"
        )
        Subscription.objects.create(newsletter=business, contact=contact)
    services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    now = timezone.now()
    assert newsletter_send_due(now) == 3
    assert newsletter_send_due(now + dt.timedelta(seconds=10)) == 0
    assert newsletter_send_due(now + dt.timedelta(seconds=61)) == 2
    assert OutboundEmail.objects.count() == 5


def test_a_contact_unsubscribed_since_the_issue_is_skipped(cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    issue = services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    Subscription.objects.all().delete()
    newsletter_send_due(timezone.now())
    assert issue.deliveries.get().state == DeliveryState.SKIPPED
    assert not OutboundEmail.objects.exists()


def test_inactive_contacts_get_no_issue(cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    services.contact_set_active(contact=radu, actor=cast.cristina_admin, is_active=False)
    issue = services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    assert not issue.deliveries.exists()


def test_unsubscribe_link_asks_on_get_and_unsubscribes_on_post(client, cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    path = unsubscribe_url(contact_id=radu.pk, newsletter_id=business.pk).split("://", 1)[1]
    path = path[path.index("/") :]
    response = client.get(path)
    assert response.status_code == 200
    assert Subscription.objects.exists()  # mail scanners open links
    response = client.post(path)  # RFC 8058 one-click: no cookie, no CSRF token
    assert "You are unsubscribed" in response.text
    assert not Subscription.objects.exists()
    change = radu.changes.get()
    assert change.actor is None and change.kind == ContactChangeKind.UNSUBSCRIBED
    assert client.post(path).status_code == 200  # again: nothing left, same page


def test_an_altered_unsubscribe_link_is_not_found(client, cast, radu, business):
    path = reverse("portal:newsletter_unsubscribe", args=["bad-token"])
    assert client.get(path).status_code == 404


def test_report_shows_who_received_what(client, cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    issue = services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    newsletter_send_due(timezone.now())
    client.force_login(cast.agent_help)
    text = client.get(reverse("workspace:newsletter_issue", args=[issue.pk])).text
    assert "radu@example.com" in text and "Handed to the outbox" in text
    client.force_login(cast.cristina_admin)
    assert client.get(reverse("workspace:newsletter_issue", args=[issue.pk])).status_code == 403


def test_agent_sends_an_issue_from_the_workspace(client, cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    client.force_login(cast.agent_help)
    response = client.post(
        reverse("workspace:newsletter", args=[business.pk]), {"subject": "Hi", "body": "News"}
    )
    assert response.status_code == 302
    assert business.issues.get().deliveries.count() == 1


def test_report_queries_do_not_grow_with_recipients(
    client, cast, business, django_assert_max_num_queries
):
    def subscribe(n, start):
        for i in range(start, start + n):
            contact = Contact.objects.create(
                organization=cast.cristina_srl, first_name="P", last_name=str(i), email=f"{i}@x.t"
            )
            Subscription.objects.create(newsletter=business, contact=contact)

    subscribe(1, 0)
    issue = services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    newsletter_send_due(timezone.now())
    client.force_login(cast.agent_help)
    url = reverse("workspace:newsletter_issue", args=[issue.pk])
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    subscribe(8, 1)
    issue = services.issue_send(newsletter=business, actor=cast.agent_help, subject="S", body="B")
    newsletter_send_due(timezone.now())
    url = reverse("workspace:newsletter_issue", args=[issue.pk])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_an_issue_can_link_a_download(client, cast, radu, business):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from supportal.company.models import Topic

    download = services.download_publish(
        actor=cast.agent_help,
        product=cast.product,
        topic=Topic.objects.create(name="T"),
        title="Kit 3.2",
        file=SimpleUploadedFile("kit.zip", b"z"),
    )
    Subscription.objects.create(newsletter=business, contact=radu)
    client.force_login(cast.agent_help)
    client.post(
        reverse("workspace:newsletter", args=[business.pk]),
        {"subject": "Kit", "body": "Nou", "download": download.pk},
    )
    newsletter_send_due(timezone.now())
    mail = OutboundEmail.objects.get()
    assert "Kit 3.2" in mail.body_text
    assert f"/downloads/?product={cast.product.pk}" in mail.body_text


def test_a_customer_unsubscribes_themselves_in_the_portal(client, cast, business):
    contact = Contact.objects.create(
        organization=cast.cristina_srl,
        user=cast.cristina,
        first_name="Cristina",
        last_name="Tănăsescu",
        email=cast.cristina.email,
    )
    Subscription.objects.create(newsletter=business, contact=contact)
    client.force_login(cast.cristina)
    assert "BUSINESS REPORT" in client.get(reverse("portal:my_newsletters")).text
    client.post(reverse("portal:my_newsletters"), {"newsletter": business.pk})
    assert not Subscription.objects.exists()
    assert contact.changes.get().actor == cast.cristina


def test_a_customer_cannot_unsubscribe_someone_else(client, cast, radu, business):
    Subscription.objects.create(newsletter=business, contact=radu)
    client.force_login(cast.colleague)
    response = client.post(reverse("portal:my_newsletters"), {"newsletter": business.pk})
    assert response.status_code == 404
    assert Subscription.objects.exists()


def test_the_unsubscribe_page_answers_in_the_contacts_language(
    client, cast, petr_contact, business
):
    """docs/languages.md: the one-click page speaks the language the newsletter was written to
    the contact in (here their company's, Czech), whatever the browser opening it says."""
    from django.utils import translation

    cast.other_sa.language = "cs"
    cast.other_sa.save()
    Subscription.objects.create(newsletter=business, contact=petr_contact)
    path = unsubscribe_url(contact_id=petr_contact.pk, newsletter_id=business.pk).split("://", 1)[1]
    path = path[path.index("/") :]

    asked = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert asked["Content-Language"] == "cs"
    assert 'lang="cs"' in asked.text
    done = client.post(path, HTTP_ACCEPT_LANGUAGE="ro")
    with translation.override("cs"):
        unsubscribed = translation.gettext(
            "You are unsubscribed from %(name)s. You will receive no further issues."
        ) % {"name": business.name}
    assert not unsubscribed.startswith("You are")
    assert unsubscribed in done.text and done["Content-Language"] == "cs"
