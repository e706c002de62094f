"""A new request from the portal: the desk's choices, the limits, and nothing typed is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.accounts.models import Contract
from supportal.core.errors import InvalidInput
from supportal.desks.models import CustomField, CustomFieldKind, Desk, Priority
from supportal.tickets.models import SubmissionMethod, Ticket


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _new_url(desk: Desk) -> str:
    return f"{reverse('portal:new')}?desk={desk.key}"


def _form(cast, **overrides) -> dict[str, object]:
    data = {
        "product": cast.product.pk,
        "request_type": cast.question.pk,
        "summary": "Parola blocată",
        "details": "Am parola blocata,\r\nrog deblocare",
        "priority": cast.normal.pk,
        "contact_phone": "+40 721 000 000",
        "contact_email": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_customer_chooses_a_desk_first(client, cast):
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:new")).content.decode()
    assert "Helpdesk" in page and "Development" in page
    response = client.get(_new_url(cast.help_desk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Question" in page and "Bug" in page
    assert 'maxlength="120"' in page  # the desk's summary limit


def test_customer_opens_a_request_and_lands_on_its_page(client, cast):
    client.force_login(cast.cristina)
    response = client.post(_new_url(cast.help_desk), _form(cast))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:request", args=[ticket.reference])
    assert ticket.reference == "HELP-1"
    assert ticket.submission_method == SubmissionMethod.PORTAL
    assert ticket.details == "Am parola blocata,\nrog deblocare"
    assert ticket.contact_phone == "+40 721 000 000"
    assert ticket.priority == cast.normal
    assert (
        f"Your request {ticket.reference} was registered."
        in client.get(response.url).content.decode()
    )


def test_details_over_8000_characters_are_refused_and_everything_is_kept(client, cast):
    client.force_login(cast.cristina)
    details = "x" * 8001
    response = client.post(
        _new_url(cast.help_desk), _form(cast, summary="Keep me", details=details)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert "8000" in page or "8,000" in page
    assert "Keep me" in page and details in page
    assert 'data-counter-limit="8000"' in page


def test_line_breaks_count_once_toward_the_details_limit(client, cast):
    client.force_login(cast.cristina)
    details = "ab\r\n" * 2000  # 8,000 characters as typed, 6,000 as counted with \n
    response = client.post(_new_url(cast.help_desk), _form(cast, details=details))
    assert response.status_code == 302


def test_priorities_offered_are_those_of_the_company_contract(client, cast):
    urgent = Priority.objects.create(name="Urgent", rank=30)
    contract = Contract.objects.create(organization=cast.cristina_srl, name="Gold")
    contract.priorities.add(cast.high, urgent)
    client.force_login(cast.cristina)
    page = client.get(_new_url(cast.help_desk)).content.decode()
    assert "Urgent" in page and "High" in page
    assert ">Normal<" not in page
    response = client.post(_new_url(cast.help_desk), _form(cast, priority=cast.normal.pk))
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    client.post(_new_url(cast.help_desk), _form(cast, priority=urgent.pk))
    assert Ticket.objects.get().priority == urgent


def test_without_a_contract_every_priority_is_offered(client, cast):
    client.force_login(cast.other_customer)
    page = client.get(_new_url(cast.help_desk)).content.decode()
    assert ">Normal<" in page and ">High<" in page
    response = client.post(_new_url(cast.help_desk), _form(cast, priority=cast.high.pk))
    assert response.status_code == 302


def test_an_expired_contract_does_not_count(client, cast):
    expired = Contract.objects.create(
        organization=cast.cristina_srl, name="Old", ends_on=dt.date(2020, 1, 1)
    )
    expired.priorities.add(cast.normal)
    current = Contract.objects.create(organization=cast.cristina_srl, name="Gold")
    current.priorities.add(cast.high)
    client.force_login(cast.cristina)
    response = client.post(_new_url(cast.help_desk), _form(cast, priority=cast.normal.pk))
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    with pytest.raises(InvalidInput, match="does not include the priority Normal"):
        cast.ticket(priority=cast.normal)  # the service checks it too, for every interface


def test_contact_email_for_the_request_and_colleagues_as_participants(client, cast):
    client.force_login(cast.cristina)
    page = client.get(_new_url(cast.help_desk)).content.decode()
    assert cast.cristina.email in page  # the default contact address
    assert str(cast.colleague) in page and str(cast.other_customer) not in page
    client.post(
        _new_url(cast.help_desk),
        _form(cast, contact_email="it@cristina.ro", participants=[cast.colleague.pk]),
    )
    ticket = Ticket.objects.get()
    assert ticket.notification_email == "it@cristina.ro"
    assert list(ticket.participants.values_list("user", flat=True)) == [cast.colleague.pk]


def test_a_request_shared_with_nobody_has_no_participants_and_an_error_offers_colleagues_again(
    client, cast
):
    client.force_login(cast.cristina)
    refused = client.post(_new_url(cast.help_desk), _form(cast, summary=""))
    assert refused.status_code == 400
    assert str(cast.colleague) in refused.content.decode()
    client.post(_new_url(cast.help_desk), _form(cast))
    assert not Ticket.objects.get().participants.exists()


def test_a_customer_of_another_company_cannot_be_a_participant(client, cast):
    client.force_login(cast.cristina)
    response = client.post(
        _new_url(cast.help_desk), _form(cast, participants=[cast.other_customer.pk])
    )
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_custom_fields_of_the_desk_and_type_with_kinds_and_required(client, cast):
    CustomField.objects.create(
        desk=cast.help_desk,
        name="retailer",
        label="Retailer",
        kind=CustomFieldKind.CHOICE,
        choices=["Profi", "Mega"],
        is_required=True,
    )
    CustomField.objects.create(
        desk=cast.help_desk,
        request_type=cast.bug,
        name="seen_on",
        label="Seen on",
        kind=CustomFieldKind.DATE,
        is_required=True,
    )
    CustomField.objects.create(
        desk=cast.help_desk, name="stores", label="Stores", kind=CustomFieldKind.NUMBER
    )
    client.force_login(cast.cristina)
    page = client.get(_new_url(cast.help_desk)).content.decode()
    assert "Retailer" in page and 'type="date"' in page and 'data-request-type="' in page

    response = client.post(_new_url(cast.help_desk), _form(cast, cf_stores="many"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page  # retailer
    assert "Enter a number." in page

    # "Seen on" is asked for bugs only: a question goes through without it.
    response = client.post(
        _new_url(cast.help_desk), _form(cast, cf_retailer="Profi", cf_seen_on="", cf_stores="3")
    )
    assert response.status_code == 302
    assert Ticket.objects.get().custom_fields == {"retailer": "Profi", "stores": "3"}

    response = client.post(
        _new_url(cast.help_desk), _form(cast, request_type=cast.bug.pk, cf_retailer="Profi")
    )
    assert response.status_code == 400
    client.post(
        _new_url(cast.help_desk),
        _form(cast, request_type=cast.bug.pk, cf_retailer="Mega", cf_seen_on="2026-11-20"),
    )
    assert Ticket.objects.get(number=2).custom_fields == {
        "retailer": "Mega",
        "seen_on": "2026-11-20",
    }


def test_a_type_of_another_desk_is_refused(client, cast):
    client.force_login(cast.cristina)
    response = client.post(_new_url(cast.dev_desk), _form(cast, product=None))
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_an_attachment_over_the_size_limit_names_the_limit_and_where_large_files_go(client, cast):
    cast.help_desk.attachment_max_bytes = 1024
    cast.help_desk.large_files_hint = "For large files, please use ftp.wizrom.ro."
    cast.help_desk.save()
    client.force_login(cast.cristina)
    big = SimpleUploadedFile("dump.sql", b"x" * 2048)
    response = client.post(_new_url(cast.help_desk), {**_form(cast), "attachments": [big]})
    page = response.content.decode()
    assert response.status_code == 400
    assert "1\xa0kB" in page  # sizes: docs/languages.md
    assert "ftp.wizrom.ro" in page
    assert Ticket.objects.count() == 0


def test_a_too_long_file_name_is_refused_naming_the_limit(client, cast):
    cast.help_desk.attachment_name_max_length = 20
    cast.help_desk.save()
    client.force_login(cast.cristina)
    upload = SimpleUploadedFile("a-very-long-name-for-a-screenshot.png", b"png")
    response = client.post(_new_url(cast.help_desk), {**_form(cast), "attachments": [upload]})
    page = response.content.decode()
    assert response.status_code == 400
    assert "limited to 20" in page


def test_files_are_kept_across_a_validation_error_and_attached_on_the_next_submit(client, cast):
    client.force_login(cast.cristina)
    upload = SimpleUploadedFile("log.txt", b"ERROR 42", content_type="text/plain")
    response = client.post(
        _new_url(cast.help_desk), {**_form(cast, summary=""), "attachments": [upload]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "log.txt" in page
    token = response.context["chosen"].kept[0].token
    assert f'name="pending" value="{token}" checked' in page

    response = client.post(_new_url(cast.help_desk), {**_form(cast), "pending": [token]})
    assert response.status_code == 302
    attachment = Ticket.objects.get().attachments.get()
    assert attachment.file_name == "log.txt"
    assert attachment.file.read() == b"ERROR 42"
    assert default_storage.listdir(f"pending/{token}")[1] == []  # the pending copy is gone


def test_pending_files_of_another_session_cannot_be_claimed(client, cast, django_user_model):
    client.force_login(cast.cristina)
    upload = SimpleUploadedFile("secret.txt", b"mine")
    response = client.post(
        _new_url(cast.help_desk), {**_form(cast, summary=""), "attachments": [upload]}
    )
    token = response.context["chosen"].kept[0].token
    client.force_login(cast.colleague)
    client.post(_new_url(cast.help_desk), {**_form(cast), "pending": [token]})
    assert Ticket.objects.get().attachments.count() == 0


def test_agents_are_sent_to_the_workspace(client, cast):
    client.force_login(cast.agent_help)
    assert client.get(reverse("portal:new")).status_code == 302


def test_a_product_contract_adds_its_priorities_without_a_query_per_product(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportal.desks.models import Product

    urgent = Priority.objects.create(name="Urgent", rank=30)
    general = Contract.objects.create(organization=cast.cristina_srl, name="Basic")
    general.priorities.add(cast.normal)
    client.force_login(cast.cristina)
    client.get(_new_url(cast.help_desk))  # what a session's first request loads once
    with CaptureQueriesContext(connection) as few:
        page = client.get(_new_url(cast.help_desk)).content.decode()
    assert ">Normal<" in page and "Urgent" not in page and ">High<" not in page

    for n in range(4):
        other = Product.objects.create(name=f"Modul {n}")
        cast.help_desk.products.add(other)
    product_contract = Contract.objects.create(
        organization=cast.cristina_srl, name="Gold for Modul 3", product=other
    )
    product_contract.priorities.add(urgent)
    client.get(_new_url(cast.help_desk))  # the desk's changed choices are read again, once
    with CaptureQueriesContext(connection) as many:
        page = client.get(_new_url(cast.help_desk)).content.decode()

    # Urgent is offered for the product its contract covers; High by no contract at all.
    assert ">Normal<" in page and "Urgent" in page and ">High<" not in page
    assert len(many) == len(few)
