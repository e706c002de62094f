"""The Django admin: every page answers, the ticket list stays cheap, history stays untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportal.accounts.models import (
    AccessRequest,
    ApiIdempotencyKey,
    ApiTokenChange,
    Contact,
    Contract,
    OrganizationDomain,
    OrganizationProduct,
    Passkey,
    RecoveryCode,
    TotpDevice,
    TrustedDevice,
    TwoFactorPolicy,
    User,
)
from supportal.accounts.services import api_token_create
from supportal.audit.models import AuditSettings
from supportal.core.models import Lease, ProcessExit
from supportal.desks.models import CustomField, DeskMembership
from supportal.mail.inbound import inbound_store
from supportal.mail.mailboxes import mailbox_save
from supportal.mail.models import (
    DiscardedSender,
    InboundChannel,
    Mailbox,
    OutboundEmail,
    OutboundState,
    OutgoingAccount,
    PersonalReplyAddress,
)
from supportal.sso.models import IdentityProvider, SsoIdentity
from supportal.tickets import services
from supportal.tickets.models import (
    Attachment,
    Comment,
    Event,
    EventKind,
    Feedback,
    NotificationMute,
    Participant,
    Ticket,
)
from supportal.webhooks.models import WebhookDelivery, WebhookEndpoint

OUR_APPS = {"accounts", "audit", "core", "desks", "mail", "sso", "tickets", "webhooks"}


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _outbound(state: str, **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        to=fields.pop("to", ["cristina.tanasescu@example.com"]),
        from_email="support@localhost",
        subject=f"[HELP-1] {state}",
        body_text="Text",
        message_id=f"<{state}-{OutboundEmail.objects.count()}@localhost>",
        state=state,
        attempts=fields.pop("attempts", 8),
        next_attempt_at=timezone.now() - dt.timedelta(days=1),
        **fields,
    )


def _form_data(response) -> dict[str, object]:
    """What the browser would post back from an admin change page, unchanged."""
    data: dict[str, object] = {}

    def add(form, prefixed: bool) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            key = form.add_prefix(name) if prefixed else name
            data[key] = [str(v) for v in value] if isinstance(value, list) else value

    add(response.context["adminform"].form, prefixed=False)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form, prefixed=True)
        for form in formset.forms:
            add(form, prefixed=True)
    return data


@pytest.fixture
def admin_web(cast) -> Client:
    """A browser logged in as the cast's administrator (pytest-django's admin_client would
    create admin@example.com, which the cast already uses for a customer admin)."""
    web = Client()
    web.force_login(cast.admin)
    return web


@pytest.fixture
def every_row(cast):
    """At least one row of every model of ours, so each change page has something to show."""
    ticket = cast.ticket(product=cast.product, request_type=cast.question)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Deblocat.")
    services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("150.00"))
    now = timezone.now()
    Attachment.objects.create(
        ticket=ticket, file="attachments/x/log.txt", file_name="log.txt", created_at=now
    )
    Participant.objects.create(ticket=ticket, user=cast.colleague, created_at=now)
    NotificationMute.objects.create(ticket=ticket, user=cast.cristina, created_at=now)
    Feedback.objects.create(ticket=ticket, rating=5, given_by=cast.cristina, created_at=now)
    OrganizationDomain.objects.create(organization=cast.cristina_srl, domain="example.com")
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    Contract.objects.create(organization=cast.cristina_srl, name="Mentenanță 2025")
    Contact.objects.create(organization=cast.cristina_srl, first_name="Ana", last_name="Pop")
    AccessRequest.objects.create(email="ana@client.test", organization=cast.cristina_srl)
    CustomField.objects.create(desk=cast.help_desk, name="retailer", label="Retailer")
    Lease.objects.create(name="auto_close", holder="worker-1", expires_at=now)
    inbound_store(b"Subject: Parola\r\n\r\nAm parola blocata", channel=InboundChannel.STDIN)
    _outbound(OutboundState.SENT)
    PersonalReplyAddress.objects.create(ticket=ticket, user=cast.cristina, token="r3ply")
    DiscardedSender.objects.create(desk=cast.help_desk, address="oferte@spam.test")
    token, _text = api_token_create(user=cast.agent_help, name="Monitoring")
    ApiIdempotencyKey.objects.create(token=token, key="k-1", fingerprint="0" * 64)
    ApiTokenChange.objects.create(
        token=token, method="POST", path="/api/v1/tickets", status_code=201, ip="127.0.0.1"
    )
    endpoint = WebhookEndpoint.objects.create(
        name="ERP", url="https://erp.client.test/hooks", owner=cast.agent_help
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id="msg_1",
        event_type="ticket.commented",
        ticket_reference=ticket.reference,
        payload={},
        next_attempt_at=now,
    )
    ProcessExit.objects.create(
        process="worker", host="web-1", status=-9, ran_seconds=12.5, exited_at=now
    )
    # Audit log and two-factor sign-in (docs/audit.md, docs/security.md).
    AuditSettings.load()
    TwoFactorPolicy.load()
    TotpDevice.objects.create(user=cast.agent_help, secret="JBSWY3DPEHPK3PXP", confirmed_at=now)
    RecoveryCode.objects.create(user=cast.agent_help, code_hash="0" * 64)
    Passkey.objects.create(
        user=cast.agent_help, name="Laptop", credential_id="abc", public_key=b"k"
    )
    TrustedDevice.objects.create(
        user=cast.agent_help, token_hash="1" * 64, expires_at=now + dt.timedelta(days=30)
    )
    mailbox_save(
        mailbox=Mailbox(name="Suport", host="imap.firma.ro", username="suport@firma.ro"),
        password="parola",
    )
    mailbox_save(
        mailbox=OutgoingAccount(
            name="Trimitere", host="smtp.firma.ro", username="suport@firma.ro", desk=cast.help_desk
        ),
        password="parola",
    )
    # Single sign-on (docs/sso.md).
    provider = IdentityProvider.objects.create(
        name="Tecnet ID",
        slug="tecnet",
        issuer="https://id.support.test",
        client_id="supportal",
        client_secret_env="SUPPORTAL_SSO_TECNET",
    )
    SsoIdentity.objects.create(provider=provider, subject="s-1", user=cast.agent_help)
    return ticket


def test_superuser_opens_every_changelist_add_and_change_page(admin_web, cast, every_row, rf):
    request = rf.get("/admin/")
    request.user = cast.admin
    failures = []
    for model, model_admin in admin.site._registry.items():
        # A search runs every search field's lookup, so a bad one fails here on either database.
        urls = [_url(model, "changelist"), _url(model, "changelist") + "?q=cristina"]
        if model_admin.has_add_permission(request):
            urls.append(_url(model, "add"))
        row = model._default_manager.first()
        if row is not None:
            urls.append(_url(model, "change", row.pk))
        elif model._meta.app_label in OUR_APPS:
            failures.append(f"{model._meta.label}: no row to open")
        for url in urls:
            status = admin_web.get(url).status_code
            if status != 200:
                failures.append(f"{model._meta.label}: {url} answered {status}")
    assert failures == []


def test_every_model_of_ours_is_registered_with_search():
    from django.apps import apps

    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            model_admin = admin.site._registry.get(model)
            assert model_admin is not None, f"{model._meta.label} is not in the admin"
            assert model_admin.search_fields, f"{model._meta.label} has no search"
            assert model_admin.list_display != ("__str__",), f"{model._meta.label}: no columns"


def test_ticket_changelist_search_finds_by_reference(admin_web, cast):
    first = cast.ticket(summary="Imprimanta nu merge")
    second = cast.ticket(summary="Parola blocată")

    response = admin_web.get(_url(Ticket, "changelist"), {"q": second.reference})

    assert response.status_code == 200
    found = list(response.context["cl"].result_list)
    assert found == [second]
    assert first not in found


def test_ticket_changelist_query_count_does_not_grow_with_rows(
    admin_web, cast, django_assert_max_num_queries
):
    for _ in range(3):
        cast.ticket(product=cast.product, priority=cast.high, request_type=cast.bug)
    url = _url(Ticket, "changelist")
    admin_web.get(url)
    with CaptureQueriesContext(connection) as three:
        assert admin_web.get(url).status_code == 200
    for _ in range(27):
        ticket = cast.ticket(product=cast.product, priority=cast.normal, request_type=cast.bug)
        services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=cast.agent_help)

    with django_assert_max_num_queries(len(three)):
        response = admin_web.get(url)

    assert len(response.context["cl"].result_list) == 30


def test_admin_does_not_add_tickets(admin_web, cast):
    assert admin_web.get(_url(Ticket, "add")).status_code == 403


def test_ticket_change_goes_through_the_service_and_leaves_workflow_fields_alone(admin_web, cast):
    ticket = cast.ticket()
    url = _url(Ticket, "change", ticket.pk)
    data = _form_data(admin_web.get(url))
    assert "status" not in data and "assignee" not in data and "reference" not in data

    data.update(priority=cast.high.pk, status="closed", reference="HACK-1")
    response = admin_web.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.priority == cast.high
    assert (ticket.status, ticket.reference) == ("waiting_for_support", "HELP-1")
    event = ticket.events.get(kind=EventKind.FIELD_CHANGED)
    assert (event.actor, event.data["field"]) == (cast.admin, "priority")


def test_closed_ticket_is_shown_read_only(admin_web, cast):
    ticket = cast.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")

    response = admin_web.get(_url(Ticket, "change", ticket.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}


def test_only_superusers_delete_tickets(admin_web, client, cast):
    ticket = cast.ticket()
    staff = User.objects.create_user("staff@support.test", "parola123", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__model="ticket"))
    client.force_login(staff)
    url = _url(Ticket, "delete", ticket.pk)

    assert client.post(url, {"post": "yes"}).status_code == 403

    # The ticket's events go with it, although no one may delete an event on its own.
    assert admin_web.post(url, {"post": "yes"}).status_code == 302
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Event.objects.filter(ticket_id=ticket.pk).exists()


def test_events_cannot_be_added_changed_or_deleted(admin_web, cast, rf):
    event = cast.ticket().events.get()
    request = rf.get("/admin/")
    request.user = cast.admin
    event_admin = admin.site._registry[Event]

    assert not event_admin.has_add_permission(request)
    assert not event_admin.has_change_permission(request, event)
    assert not event_admin.has_delete_permission(request, event)
    assert admin_web.get(_url(Event, "change", event.pk)).status_code == 200
    assert admin_web.post(_url(Event, "change", event.pk), {"kind": "assigned"}).status_code == (
        403
    )
    assert admin_web.post(_url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert admin_web.get(_url(Event, "add")).status_code == 403
    event.refresh_from_db()
    assert event.kind == EventKind.CREATED


def test_desk_key_is_read_only_once_the_desk_has_tickets(admin_web, cast):
    cast.ticket(desk=cast.help_desk)

    empty = admin_web.get(_url(type(cast.dev_desk), "change", cast.dev_desk.pk))
    assert "key" in empty.context["adminform"].form.fields

    url = _url(type(cast.help_desk), "change", cast.help_desk.pk)
    response = admin_web.get(url)
    assert "key" not in response.context["adminform"].form.fields
    data = _form_data(response)
    data.update(key="NEWKEY", name_en="Helpdesk 2")  # the English of its names
    assert admin_web.post(url, data).status_code == 302
    cast.help_desk.refresh_from_db()
    assert (cast.help_desk.key, cast.help_desk.name) == ("HELP", "Helpdesk 2")


def test_a_desks_change_page_reads_its_members_in_one_statement(admin_web, cast):
    """Each member's row is titled by the person and the desk (read with the memberships); the
    only statement a row adds is Django's autocomplete widget looking up the person it shows."""
    cast.ticket(desk=cast.help_desk)
    url = _url(type(cast.help_desk), "change", cast.help_desk.pk)
    admin_web.get(url)
    with CaptureQueriesContext(connection) as two_members:
        admin_web.get(url)
    for n in range(5):
        agent = User.objects.create_user(email=f"agent{n}@tecnet.example", password="x")
        DeskMembership.objects.create(desk=cast.help_desk, user=agent)

    with CaptureQueriesContext(connection) as seven_members:
        page = admin_web.get(url).content.decode()

    assert len(seven_members) <= len(two_members) + 5
    assert "agent4@tecnet.example" in page and "HELP" in page
    assert "key" not in admin_web.get(url).context["adminform"].form.fields


@pytest.mark.parametrize("model", [Event, Comment, Attachment])
def test_a_tickets_history_lists_newest_first_by_the_primary_keys_index(admin_web, cast, model):
    """These tables grow with the requests; their models' orders (time, then id) have no index,
    and each page sorted the whole table (the events' list: 159 ms at 88,000 events)."""
    ticket = cast.ticket()
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Prima.")
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="A doua.")
    now = timezone.now()
    for hours_ago in (0, 1):  # the later row is the older one: the list follows the key
        Attachment.objects.create(
            ticket=ticket, file="attachments/x/a.txt", file_name="a.txt",
            created_at=now - dt.timedelta(hours=hours_ago),
        )  # fmt: skip

    changelist = admin_web.get(_url(model, "changelist")).context["cl"]

    assert set(changelist.queryset.query.order_by) == {"-pk"}
    shown = [row.pk for row in changelist.result_list]
    assert len(shown) >= 2
    assert shown == sorted(model.objects.values_list("pk", flat=True), reverse=True)


def test_retry_now_requeues_failed_and_held_mail_only(admin_web, cast):
    failed = _outbound(OutboundState.FAILED, last_error="550 mailbox full")
    held = _outbound(OutboundState.HELD)
    sent = _outbound(OutboundState.SENT)
    before = timezone.now()

    response = admin_web.post(
        _url(OutboundEmail, "changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, held.pk, sent.pk]},
    )

    assert response.status_code == 302
    for email in (failed, held):
        email.refresh_from_db()
        assert (email.state, email.attempts) == (OutboundState.PENDING, 0)
        assert email.next_attempt_at >= before
    sent.refresh_from_db()
    assert (sent.state, sent.attempts) == (OutboundState.SENT, 8)


def test_outbound_email_search_finds_by_recipient(admin_web, cast):
    email = _outbound(OutboundState.FAILED)
    other = _outbound(OutboundState.SENT, to=["petr@other.test"])

    response = admin_web.get(_url(OutboundEmail, "changelist"), {"q": "petr@other"})

    assert list(response.context["cl"].result_list) == [other]
    assert email not in response.context["cl"].result_list


def test_outbound_email_cannot_be_changed(admin_web, cast):
    email = _outbound(OutboundState.FAILED)

    response = admin_web.post(_url(OutboundEmail, "change", email.pk), {"subject": "x"})

    assert response.status_code == 403


def test_user_admin_creates_a_user_by_email(admin_web, cast):
    response = admin_web.post(
        _url(User, "add"),
        {
            "email": "Noua.Colega@Example.com",
            "usable_password": "true",
            "password1": "Corect-Cal-Baterie-42",
            "password2": "Corect-Cal-Baterie-42",
            "first_name": "Noua",
            "organization": cast.cristina_srl.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="noua.colega@example.com")
    assert user.check_password("Corect-Cal-Baterie-42")
    assert user.organization == cast.cristina_srl


def test_user_admin_refuses_an_email_that_differs_only_in_case(admin_web, cast):
    response = admin_web.post(
        _url(User, "add"), {"email": "Cristina.Tanasescu@Example.com", "usable_password": "false"}
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_customer_is_sent_to_the_admin_login(client, cast):
    client.force_login(cast.cristina)

    for url in (reverse("admin:index"), _url(Ticket, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
