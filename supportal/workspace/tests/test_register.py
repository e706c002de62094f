"""Registering a request received by phone or e-mail (docs/requirements.md F2)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportal.accounts.models import Organization, User
from supportal.mail.models import OutboundEmail
from supportal.tickets.models import SubmissionMethod, Ticket

URL = reverse("workspace:register")


def _form(cast, **fields):
    return {
        "submission_method": SubmissionMethod.PHONE,
        "desk": cast.help_desk.pk,
        "email": "new.person@example.ro",
        "first_name": "Maria",
        "last_name": "Ionescu",
        "summary": "Parola blocată",
        "details": "Am parola blocata, rog deblocare",
        "contact_phone": "+40 721 000 000",
        **fields,
    }


def test_phone_request_for_a_new_customer_registers_and_invites_them(client, cast):
    client.force_login(cast.agent_help)
    response = client.post(
        URL,
        {
            **_form(cast, new_company="Maria SRL", request_type=cast.question.pk),
            "attachments": [SimpleUploadedFile("screen.png", b"png")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("workspace:ticket", args=[ticket.reference])
    customer = User.objects.get(email="new.person@example.ro")
    assert (customer.first_name, customer.last_name) == ("Maria", "Ionescu")
    assert customer.organization == Organization.objects.get(name="Maria SRL")
    assert not customer.has_usable_password()
    assert ticket.requester == customer
    assert ticket.organization == customer.organization
    assert ticket.submission_method == SubmissionMethod.PHONE
    assert ticket.contact_phone == "+40 721 000 000"
    assert ticket.attachments.get().file_name == "screen.png"
    assert OutboundEmail.objects.filter(template="invitation", to=[customer.email]).count() == 1
    page = client.get(response.url).content.decode()
    assert "registered as a new customer and invited" in page
    assert "Phone" in page


def test_email_request_for_an_existing_customer_keeps_their_company(client, cast):
    client.force_login(cast.agent_help)
    client.post(
        URL,
        _form(
            cast,
            email="Cristina.Tanasescu@example.com",
            submission_method=SubmissionMethod.EMAIL,
            organization=cast.other_sa.pk,
        ),
    )
    ticket = Ticket.objects.get()
    assert ticket.requester == cast.cristina
    assert ticket.organization == cast.cristina_srl
    assert ticket.submission_method == SubmissionMethod.EMAIL
    cast.cristina.refresh_from_db()
    assert cast.cristina.organization == cast.cristina_srl
    assert not OutboundEmail.objects.filter(template="invitation").exists()


def test_open_requests_are_shown_before_creating_a_duplicate(client, cast):
    existing = cast.ticket(summary="Already reported")
    client.force_login(cast.agent_help)
    response = client.post(URL, _form(cast, email=cast.cristina.email))
    assert response.status_code == 409
    page = response.content.decode()
    assert existing.reference in page and "Already reported" in page
    assert "Register as a new request anyway" in page
    assert Ticket.objects.count() == 1

    client.post(URL, _form(cast, email=cast.cristina.email, is_duplicate_checked="True"))
    assert Ticket.objects.count() == 2


def test_lookup_shows_the_customer_and_only_open_requests_of_my_desks(client, cast):
    mine = cast.ticket(summary="help desk one")
    dev = cast.ticket(desk=cast.dev_desk, summary="dev desk one")
    client.force_login(cast.agent_help)
    page = client.get(
        reverse("workspace:requester_lookup"), {"email": cast.cristina.email}
    ).content.decode()
    assert "Existing customer" in page
    assert mine.reference in page
    assert dev.reference not in page
    unknown = client.get(reverse("workspace:requester_lookup"), {"email": "nobody@x.ro"})
    assert "New customer" in unknown.content.decode()


def test_a_refused_request_creates_no_customer(client, cast):
    client.force_login(cast.agent_help)
    response = client.post(URL, _form(cast, summary="x" * 200))
    assert response.status_code == 400
    assert not User.objects.filter(email="new.person@example.ro").exists()
    assert "Maria" in response.content.decode()  # what was typed comes back


def test_agent_cannot_register_on_a_desk_they_do_not_work(client, cast):
    client.force_login(cast.agent_dev)
    response = client.post(URL, _form(cast))
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="new.person@example.ro").exists()


def test_support_team_addresses_are_not_customers(client, cast):
    client.force_login(cast.agent_help)
    response = client.post(URL, _form(cast, email=cast.lead_help.email))
    assert response.status_code == 400
    assert "belongs to the support team" in response.content.decode()
