"""Freshdesk API v2 against a local server answering as Freshdesk documents it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportal.accounts.models import User
from supportal.desks.models import CustomField, DeskMembership
from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run, statuses_parse
from supportal.imports.sources.freshdesk import FreshdeskSource
from supportal.imports.tests.freshdesk_fixtures import FILES, Freshdesk
from supportal.imports.tests.portal import colleague_sees, listed
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.selectors import ticket_queryset_for_user
from supportal.tickets.workflow import Status


@pytest.fixture
def freshdesk():
    account = Freshdesk()
    with account.server:
        yield account


def _import(cast, freshdesk, **kw):
    source = FreshdeskSource(base_url=freshdesk.url, api_key="cheie-api")
    source.client.sleep = lambda seconds: None  # the 429's wait is asserted, not slept
    statuses = statuses_parse(["Escaladat=in_progress"], source.statuses)
    report = import_run(source, desk=cast.help_desk, statuses=statuses, keep_numbers=True, **kw)
    return source, report


def _counts():
    return tuple(
        model.objects.count()
        for model in (Ticket, Comment, Attachment, Event, User, ImportedObject)
    )


@pytest.mark.django_db
def test_freshdesk_import_reproduces_conversations_files_history_and_people(cast, freshdesk):
    source, report = _import(cast, freshdesk)
    assert report.counts[("request", "created")] == 5, report.lines()
    assert source.client.waits == [1.0]  # the 429's Retry-After, then the page again
    assert freshdesk.server.count("/api/v2/tickets") == 3

    ticket = Ticket.objects.get(reference="HELP-161")
    assert ticket.summary == "Facturile nu ajung la distribuitor prin EDI"
    assert ticket.requester.email == "mihai.popescu@transilvania.ro"
    assert ticket.organization.name == "Transilvania Distribuție SRL"
    assert ticket.assignee.email == "ioana.marinescu@suport-firma.ro"
    assert ticket.status == Status.CLOSED
    comments = list(ticket.comments.order_by("created_at"))
    assert [(c.body, c.is_public) for c in comments] == [
        ("Bună ziua, domnule Popescu,\nputeți trimite jurnalul de azi?", True),
        ("Notă internă: certificatul AS2 a expirat.", False),
        ("Am atașat captura.", True),
    ]
    assert comments[2].author == ticket.requester
    files = {a.file_name: a for a in ticket.attachments.all()}
    assert {name: a.size for name, a in files.items()} == {
        "jurnal-edi.log": len(FILES["4000000001"]),
        "raport ședință.pdf": len(FILES["4000000002"]),
        "captură ecran.png": len(FILES["4000000003"]),
    }
    assert files["raport ședință.pdf"].file.read() == FILES["4000000002"]
    assert files["raport ședință.pdf"].comment == comments[0]
    history = [
        e.payload.to_status
        for e in ticket.events.filter(kind="status_changed").order_by("created_at", "pk")
    ]
    assert history == [Status.WAITING_FOR_CUSTOMER, Status.RESOLVED, Status.CLOSED]
    assert ticket.feedback.rating == 5
    assert ticket.feedback.message == "Mulțumesc, rezolvat rapid și clar!"
    cast.help_desk.refresh_from_db()
    assert cast.help_desk.last_ticket_number == 165

    czech = Ticket.objects.get(reference="HELP-162")
    assert czech.details == "Dobrý den,\n\nexport objednávek končí chybou.\n\n- verze 4.2"
    assert czech.status == Status.IN_PROGRESS  # "Escaladat", mapped by the administrator
    petr = User.objects.get(email="petr.dvorak@plzenske.cz")
    assert petr.is_agent and czech.assignee == petr  # the agent who was also a contact

    gone = Ticket.objects.get(reference="HELP-163").requester
    assert gone.email == "andrei.vechi@transilvania.ro" and not gone.is_active
    unknown = Ticket.objects.get(reference="HELP-164").requester
    assert unknown.email.endswith("@import.invalid") and not unknown.is_active
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.count() == 0


@pytest.mark.django_db
def test_freshdesk_dry_run_writes_and_downloads_nothing(cast, freshdesk):
    before = _counts()
    _source, report = _import(cast, freshdesk, dry_run=True)
    assert _counts() == before
    assert not any(path.startswith("/files/") for path, _q, _h in freshdesk.server.asked)
    lines = "\n".join(report.lines())
    assert "request: created 5" in lines
    assert (
        "person: created 6, mapped 1" in lines
    )  # Petr the contact is Petr the agent; 99 is a placeholder
    assert "Escaladat → In progress" in lines
    assert report.counts[("attachment", "created")] == 3


@pytest.mark.django_db
def test_customers_see_exactly_their_imported_requests(cast, freshdesk, client):
    _import(cast, freshdesk)
    mihai = User.objects.get(email="mihai.popescu@transilvania.ro")
    jana = User.objects.get(email="jana.svobodova@plzenske.cz")
    assert set(ticket_queryset_for_user(mihai).values_list("reference", flat=True)) == {
        "HELP-161",
        "HELP-165",
    }
    assert set(ticket_queryset_for_user(jana).values_list("reference", flat=True)) == {"HELP-162"}
    assert not ticket_queryset_for_user(cast.other_customer).exists()
    assert ticket_queryset_for_user(cast.agent_help).count() == 5
    assert not ticket_queryset_for_user(cast.agent_dev).exists()

    client.force_login(mihai)
    page = client.get("/requests/HELP-161/").content.decode()
    assert "puteți trimite jurnalul de azi?" in page
    assert "certificatul AS2" not in page  # the internal note stays with the agents
    assert client.get("/requests/HELP-162/").status_code == 404
    # Through the portal: each customer's list, another company's customer, a colleague.
    assert listed(client) == {"HELP-161", "HELP-165"}
    client.force_login(jana)
    assert listed(client) == {"HELP-162"}
    assert client.get("/requests/HELP-161/").status_code == 404
    client.force_login(cast.other_customer)
    assert listed(client) == set()
    assert client.get("/requests/HELP-161/").status_code == 404
    # HELP-163 too: another contact of the same company opened it.
    colleague_sees(client, mihai.organization, {"HELP-161", "HELP-163", "HELP-165"})


@pytest.mark.django_db
def test_freshdesk_import_twice_changes_nothing_and_picks_up_a_new_reply(cast, freshdesk):
    _import(cast, freshdesk)
    before = _counts()
    _source, report = _import(cast, freshdesk)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 5

    freshdesk.tickets[1][1]["updated_at"] = "2024-03-08T10:00:00Z"
    freshdesk.conversations[164].append(
        {
            **freshdesk.conversations[162][0],
            "id": 3000000099,
            "ticket_id": 164,
            "user_id": 9000000001,
            "body": "<p>Da, contul a fost șters la cererea firmei.</p>",
            "created_at": "2024-03-08T10:00:00Z",
        }
    )
    _source, report = _import(cast, freshdesk)
    assert report.counts[("request", "updated")] == 1
    ticket = Ticket.objects.get(reference="HELP-164")
    assert [c.body for c in ticket.comments.all()] == ["Da, contul a fost șters la cererea firmei."]
    assert Comment.objects.count() == before[1] + 1
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_freshdesk_import_broken_half_way_ends_complete_when_run_again(cast, freshdesk):
    freshdesk.broken.add("/api/v2/tickets/163/conversations")
    with pytest.raises(Exception, match="HTTP 500"):
        _import(cast, freshdesk)
    assert set(Ticket.objects.values_list("number", flat=True)) == {161, 162}
    freshdesk.broken.clear()
    _import(cast, freshdesk)
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [161, 162, 163, 164, 165]
    # with the merged ticket's note from Freshdesk and the one saying where it went
    assert Comment.objects.count() == 6
    assert Attachment.objects.count() == 3
    assert ImportedObject.objects.filter(kind="request").count() == 5
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_imported_customers_are_invited_only_when_the_firm_asks(cast, freshdesk, capsys):
    from django.core.management import call_command

    source, _report = _import(cast, freshdesk)
    assert OutboundEmail.objects.count() == 0
    call_command("invite_imported", source.name)
    assert "Invited 2 customer(s)." in capsys.readouterr().out  # Mihai and Jana
    assert sorted(
        address for row in OutboundEmail.objects.values_list("to", flat=True) for address in row
    ) == [
        "jana.svobodova@plzenske.cz",
        "mihai.popescu@transilvania.ro",
    ]
    call_command("invite_imported", source.name)
    assert "Invited 0 customer(s)." in capsys.readouterr().out


def _import_mapped(cast, freshdesk, **kw):
    """The import with the Czech group into the DEV desk, Incident → Bug, Medium → Normal."""
    return _import(
        cast,
        freshdesk,
        desks={"Podpora CZ": cast.dev_desk},
        types={"Incident": "Bug"},
        priorities={"Medium": "Normal"},
        **kw,
    )


def _fields(desk):
    return {
        f.label: (f.kind, f.choices, f.is_visible_to_customer)
        for f in CustomField.objects.filter(desk=desk)
    }


@pytest.mark.django_db
def test_freshdesk_groups_types_priorities_and_custom_fields_are_mapped(cast, freshdesk):
    _source, report = _import_mapped(cast, freshdesk)

    edi = Ticket.objects.get(reference="HELP-161")
    assert (edi.request_type, edi.priority) == (cast.bug, cast.high)
    fields = {f.name: f for f in CustomField.objects.filter(desk=cast.help_desk)}
    assert {fields[name].label: value for name, value in edi.custom_fields.items()} == {
        "Cod magazin": "MAG-0042",
        "Sistem afectat": "EDI",
        "Valoare comandă": "1520.5",
        "Data incidentului": "2024-03-03",
        "În garanție": "yes",
    }
    assert _fields(cast.help_desk) == {
        "Cod magazin": ("text", [], True),
        "Sistem afectat": ("choice", ["EDI", "Portal clienți", "Contabilitate"], True),
        "Valoare comandă": ("number", [], True),
        "Data incidentului": ("date", [], True),
        "În garanție": ("choice", ["yes", "no"], False),  # Freshdesk shows it to agents only
    }
    # The Czech group's request went to its desk, with the fields it has values for.
    czech = Ticket.objects.get(reference="DEV-162")
    assert czech.request_type is None  # DEV has no "Question"
    assert czech.priority is None  # "Urgent": no such priority here
    assert sorted(_fields(cast.dev_desk)) == ["Sistem afectat", "În garanție"]
    petr = User.objects.get(email="petr.dvorak@plzenske.cz")
    assert ticket_queryset_for_user(petr).filter(pk=czech.pk).exists()
    assert Ticket.objects.get(reference="HELP-164").priority == cast.normal  # Medium → Normal
    # An empty text is no value; a zero is one.
    assert Ticket.objects.get(reference="HELP-163").custom_fields == {"valoare_comanda": "0"}

    lines = "\n".join(report.lines())
    assert "  Suport EDI → HELP: 4" in lines and "  Podpora CZ → DEV: 1" in lines
    assert "  Incident → Bug: 2" in lines and "  Question → not mapped, none: 1" in lines
    assert "  Urgent → not mapped, the desk's default: 1" in lines
    assert "Custom fields: 7 created, 0 mapped" in lines


@pytest.mark.django_db
def test_a_merged_ticket_is_closed_and_says_which_request_it_went_into(cast, freshdesk):
    _import(cast, freshdesk)
    merged = Ticket.objects.get(reference="HELP-165")
    assert merged.status == Status.CLOSED
    notes = list(merged.comments.order_by("created_at", "pk").values_list("body", "is_public"))
    assert notes == [
        ("This ticket is closed and merged into ticket #161", False),
        ("Merged into HELP-161.", False),
    ]


@pytest.mark.django_db
def test_freshdesk_dry_run_reports_the_mapping_and_writes_nothing(cast, freshdesk, capsys):
    before = (*_counts(), CustomField.objects.count(), DeskMembership.objects.count())
    call_command(
        "import", "freshdesk", url=freshdesk.url, api_key="cheie-api", desk="HELP",
        desk_map=["Podpora CZ=dev"], type_map=["Incident=Bug"], keep_numbers=True,
        dry_run=True, no_progress=True,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert (*_counts(), CustomField.objects.count(), DeskMembership.objects.count()) == before
    assert "Groups (source → desk; change with --desk-map GROUP=DESK):" in out
    assert "  Podpora CZ → DEV: 1" in out and "  Suport EDI → HELP: 4" in out
    assert "  Incident → Bug: 2" in out
    assert "  High → High: 2" in out
    assert "Custom fields: 7 to create, 0 mapped" in out
    assert "  HELP: Sistem afectat (choice) → to create" in out
    assert "  DEV: În garanție (checkbox) → to create" in out

    # A desk that does not exist, a mapping without "=": said before anything is read.
    options = dict(url=freshdesk.url, api_key="cheie-api", desk="HELP", no_progress=True)
    with pytest.raises(CommandError, match="There is no desk NOPE"):
        call_command("import", "freshdesk", desk_map=["Podpora CZ=NOPE"], **options)
    with pytest.raises(CommandError, match="write SOURCE=NAME"):
        call_command("import", "freshdesk", type_map=["Incident"], **options)


@pytest.mark.django_db
def test_an_existing_field_of_the_same_label_is_used_and_a_second_run_changes_nothing(
    cast, freshdesk
):
    CustomField.objects.create(
        desk=cast.help_desk, name="magazin", label="Cod magazin", kind="text"
    )
    _source, report = _import_mapped(cast, freshdesk)
    assert report.custom_fields[("HELP", "Cod magazin")] == ("text", "mapped")
    assert Ticket.objects.get(reference="HELP-161").custom_fields["magazin"] == "MAG-0042"
    before = (*_counts(), tuple(CustomField.objects.values_list("name", "choices")))
    _source, report = _import_mapped(cast, freshdesk)
    assert (*_counts(), tuple(CustomField.objects.values_list("name", "choices"))) == before
    assert report.counts[("request", "skipped")] == 5


@pytest.mark.django_db
def test_the_request_page_shows_the_imported_custom_fields(cast, freshdesk, client):
    _import(cast, freshdesk)
    client.force_login(User.objects.get(email="mihai.popescu@transilvania.ro"))
    page = client.get("/requests/HELP-161/").content.decode()
    assert "<dt>Cod magazin</dt><dd>MAG-0042</dd>" in page
    assert "<dt>Data incidentului</dt><dd>2024-03-03</dd>" in page
    assert "În garanție" not in page  # an agents' field
    client.force_login(cast.agent_help)
    page = client.get("/agent/tickets/HELP-161/").content.decode()
    assert "În garanție" in page and "MAG-0042" in page
