"""Jira Service Management against a local server answering as Atlassian documents it; the
old portal links redirect to the imported requests."""

from __future__ import annotations

import pytest

from supportal.accounts.models import User
from supportal.desks.models import CustomField
from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run
from supportal.imports.sources.jira import JiraSource
from supportal.imports.tests.jira_fixtures import FILES, Jira
from supportal.imports.tests.portal import listed
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.selectors import ticket_queryset_for_user
from supportal.tickets.services import ticket_create
from supportal.tickets.workflow import Status


@pytest.fixture
def jira():
    account = Jira()
    with account.server:
        yield account


@pytest.fixture
def native_help_1(cast):
    """A request made here before the import: HELP-1 is taken."""
    return ticket_create(
        desk=cast.help_desk, requester=cast.cristina, actor=cast.cristina, summary="Native one"
    )


def _import(cast, jira, **kw):
    source = JiraSource(base_url=jira.url, user="import@firma.ro", token="jeton", project="help")
    source.client.sleep = lambda seconds: None
    report = import_run(source, desk=cast.help_desk, statuses=source.statuses, **kw)
    return source, report


def _counts():
    return tuple(
        model.objects.count()
        for model in (Ticket, Comment, Attachment, Event, User, ImportedObject, OutboundEmail)
    )


@pytest.mark.django_db
def test_jira_import_reproduces_conversation_files_history_and_participants(
    cast, jira, native_help_1
):
    source, report = _import(cast, jira)
    assert report.counts[("request", "created")] == 5, report.lines()
    assert source.client.waits == [2.0]
    # The search gave two of HELP-161's four histories; the rest came from its changelog.
    assert jira.server.count("/rest/api/2/issue/HELP-161/changelog") == 1
    assert ("HELP-1", "HELP-2") in report.renumbered

    ticket = Ticket.objects.get(reference="HELP-161")
    assert ticket.created_at.isoformat() == "2024-03-04T07:00:00+00:00"
    assert ticket.requester.email == "mihai.popescu@transilvania.ro"
    assert ticket.assignee.email == "ioana.marinescu@suport-firma.ro"
    assert ticket.status == Status.RESOLVED
    comments = list(ticket.comments.order_by("created_at"))
    assert [(c.body[:20], c.is_public, c.author.email[:6]) for c in comments] == [
        ("Bună ziua, puteți tr", True, "ioana."),
        ("Intern: certificatul", False, "ioana."),
        ("Am atașat captura. !", True, "mihai."),
        ("Certificatul a fost ", True, "ioana."),
    ]
    screenshot = ticket.attachments.get(file_name="captura.png")
    assert screenshot.comment == comments[2] and screenshot.size == len(FILES["10301"])
    invoice = ticket.attachments.get(file_name="factura-0042.pdf")
    assert invoice.comment is None and invoice.file.read() == FILES["10300"]
    history = [
        e.payload.to_status
        for e in ticket.events.filter(kind="status_changed").order_by("created_at", "pk")
    ]
    assert history == [
        Status.IN_PROGRESS,
        Status.WAITING_FOR_CUSTOMER,
        Status.WAITING_FOR_SUPPORT,
        Status.RESOLVED,
    ]
    assert [p.user.email for p in ticket.participants.all()] == ["elena.dumitru@transilvania.ro"]
    assert Ticket.objects.get(reference="HELP-162").status == Status.IN_PROGRESS  # Escalated
    assert not Ticket.objects.get(reference="HELP-163").requester.is_active
    assert Ticket.objects.get(reference="HELP-2").summary == "Parola portalului a expirat"
    cast.help_desk.refresh_from_db()
    assert cast.help_desk.last_ticket_number == 164
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.exclude(ticket=native_help_1).count() == 0


@pytest.mark.django_db
def test_jira_dry_run_writes_and_downloads_nothing(cast, jira):
    before = _counts()
    _source, report = _import(cast, jira, dry_run=True)
    assert _counts() == before
    assert not any(p.startswith("/secure/attachment/") for p, _q, _h in jira.server.asked)
    lines = "\n".join(report.lines())
    assert "request: created 5" in lines
    assert "Escalated → In progress" in lines
    assert report.counts[("comment", "created")] == 6  # and the note of the duplicate


@pytest.mark.django_db
def test_old_portal_links_lead_to_the_imported_request_for_whoever_may_see_it(
    cast, jira, native_help_1, client
):
    _import(cast, jira)
    mihai = User.objects.get(email="mihai.popescu@transilvania.ro")
    jana = User.objects.get(email="jana.svobodova@plzenske.cz")
    elena = User.objects.get(email="elena.dumitru@transilvania.ro")

    answer = client.get("/servicedesk/customer/portal/1/HELP-161")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/?next=")

    client.force_login(mihai)
    assert client.get("/servicedesk/customer/portal/1/HELP-161")["Location"] == (
        "/requests/HELP-161/"
    )
    # A reference that was taken here: the old link follows the request to its new number.
    assert client.get("/servicedesk/customer/portal/1/HELP-1")["Location"] == "/requests/HELP-2/"
    login_link = "/servicedesk/customer/user/login?destination=portal/1/HELP-161"
    assert client.get(login_link, follow=True).redirect_chain[-1][0] == "/requests/HELP-161/"
    assert client.get("/servicedesk/customer/portal/1/HELP-162").status_code == 404
    assert client.get("/servicedesk/customer/portal/1/HELP-999").status_code == 404

    client.force_login(cast.agent_help)
    assert client.get("/servicedesk/customer/portal/1/HELP-162")["Location"] == (
        "/agent/tickets/HELP-162/"
    )

    # The permission matrix on imported data.
    assert set(ticket_queryset_for_user(mihai).values_list("reference", flat=True)) == {
        "HELP-2",
        "HELP-161",
        "HELP-164",
    }
    assert set(ticket_queryset_for_user(elena).values_list("reference", flat=True)) == {"HELP-161"}
    assert set(ticket_queryset_for_user(jana).values_list("reference", flat=True)) == {"HELP-162"}
    assert not ticket_queryset_for_user(cast.cristina).exclude(pk=native_help_1.pk).exists()
    assert not ticket_queryset_for_user(cast.agent_dev).exists()
    # Through the portal: each customer's list, another company's customer.
    client.force_login(mihai)
    assert listed(client) == {"HELP-2", "HELP-161", "HELP-164"}
    client.force_login(jana)
    assert listed(client) == {"HELP-162"}
    assert client.get("/requests/HELP-161/").status_code == 404
    client.force_login(cast.other_customer)
    assert listed(client) == set()
    assert client.get("/requests/HELP-161/").status_code == 404


@pytest.mark.django_db
def test_jira_import_twice_changes_nothing(cast, jira):
    _import(cast, jira)
    before = _counts()
    _source, report = _import(cast, jira)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 5


@pytest.mark.django_db
def test_jira_import_broken_half_way_ends_complete_when_run_again(cast, jira):
    jira.broken.add("/rest/servicedeskapi/request/HELP-162/comment")
    with pytest.raises(Exception, match="HTTP 500"):
        _import(cast, jira)
    assert set(Ticket.objects.values_list("reference", flat=True)) == {"HELP-1", "HELP-161"}
    jira.broken.clear()
    _import(cast, jira)
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [1, 161, 162, 163, 164]
    assert Comment.objects.count() == 6  # with the note saying HELP-164 went into HELP-161
    assert Attachment.objects.count() == 3
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_jira_request_types_priorities_custom_fields_and_duplicates_are_mapped(cast, jira):
    _source, report = _import(cast, jira, types={"Problemă EDI": "Bug"})

    # The search asked for the custom fields /rest/api/2/field names, and only those.
    asked = next(q["fields"] for p, q, _h in jira.server.asked if p == "/rest/api/2/search")
    assert {"priority", "issuelinks", "customfield_10010", "customfield_10020"} <= set(
        asked.split(",")
    )
    assert "customfield_10030" not in asked  # an SLA: not a custom field of the desk
    edi = Ticket.objects.get(reference="HELP-161")
    assert (edi.request_type, edi.priority) == (cast.bug, cast.high)
    fields = {f.name: f for f in CustomField.objects.filter(desk=cast.help_desk)}
    assert {fields[name].label: value for name, value in edi.custom_fields.items()} == {
        "Cod magazin": "MAG-0042",
        "Sistem afectat": "EDI",
        "Valoare comandă": "1520.5",
        "Data incidentului": "2024-03-03",
    }
    kinds = {f.label: (f.kind, f.choices, f.is_visible_to_customer) for f in fields.values()}
    assert kinds == {
        "Cod magazin": ("text", [], False),
        # Jira's list gives no options: the choices are the values the issues hold.
        "Sistem afectat": ("choice", ["EDI", "Účetnictví"], False),
        "Valoare comandă": ("number", [], False),
        "Data incidentului": ("date", [], False),
    }
    czech = Ticket.objects.get(reference="HELP-162")
    assert czech.request_type is None and czech.priority is None  # Dotaz, Medium: none here

    duplicate = Ticket.objects.get(reference="HELP-164")
    assert duplicate.status == Status.CLOSED
    note = duplicate.comments.get()
    assert (note.body, note.is_public) == ("Merged into HELP-161.", False)

    lines = "\n".join(report.lines())
    assert "  Helpdesk → HELP: 5" in lines
    assert "  Problemă EDI → Bug: 2" in lines and "  Dotaz → not mapped, none: 1" in lines
    assert "  High → High: 2" in lines
    assert "Custom fields: 4 created, 0 mapped" in lines

    before = (*_counts(), tuple(CustomField.objects.values_list("name", "choices")))
    _source, again = _import(cast, jira, types={"Problemă EDI": "Bug"})
    assert (*_counts(), tuple(CustomField.objects.values_list("name", "choices"))) == before
    assert again.counts[("request", "skipped")] == 5


@pytest.mark.django_db
def test_jira_dry_run_with_the_project_mapped_to_another_desk_writes_nothing(cast, jira):
    before = (*_counts(), CustomField.objects.count())
    _source, report = _import(cast, jira, dry_run=True, desks={"Helpdesk": cast.dev_desk})
    assert (*_counts(), CustomField.objects.count()) == before
    lines = "\n".join(report.lines())
    assert "  Helpdesk → DEV: 5" in lines
    assert "Custom fields: 4 to create, 0 mapped" in lines
    assert "  DEV: Sistem afectat (choice) → to create" in lines
    # Its keys are not the desk's: the requests would get DEV's numbers.
    assert "HELP-161: the desk's key is DEV; it gets a new number" in lines
