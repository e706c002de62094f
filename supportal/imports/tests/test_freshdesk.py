"""Freshdesk API v2 against a local server answering as Freshdesk documents it."""

from __future__ import annotations

import pytest

from supportal.accounts.models import User
from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run, statuses_parse
from supportal.imports.sources.freshdesk import FreshdeskSource
from supportal.imports.tests.freshdesk_fixtures import FILES, Freshdesk
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
