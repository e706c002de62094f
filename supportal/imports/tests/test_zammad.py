"""Zammad's REST API against a local server answering as Zammad documents it."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from supportal.accounts.models import User
from supportal.imports.mapping import desks_resolve
from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run, statuses_parse
from supportal.imports.sources.zammad import ZammadSource
from supportal.imports.tests.portal import colleague_sees, listed
from supportal.imports.tests.zammad_fixtures import FILES, TOKEN, Zammad
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.sla.models import Calendar, Policy, WorkingPeriod
from supportal.sla.reports import ReportFilters, sla_report
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.selectors import ticket_queryset_for_user
from supportal.tickets.workflow import Status


@pytest.fixture
def zammad():
    instance = Zammad()
    with instance.server:
        yield instance


def _import(cast, zammad, **kw):
    # Two a page: every list is read over several pages, as a big instance's would be.
    source = ZammadSource(base_url=zammad.url, token=TOKEN, per_page=2)
    source.client.sleep = lambda seconds: None  # the 429's wait is asserted, not slept
    statuses = statuses_parse([], source.statuses)
    report = import_run(source, desk=cast.help_desk, statuses=statuses, keep_numbers=True, **kw)
    return source, report


def _timeline(ticket):
    """The request's status events as its timeline shows them: status and instant."""
    return [
        (event.payload.to_status, event.created_at.isoformat())
        for event in ticket.events.filter(kind="status_changed").order_by("created_at", "pk")
    ]


def _counts():
    return tuple(
        model.objects.count()
        for model in (Ticket, Comment, Attachment, Event, User, ImportedObject, OutboundEmail)
    )


@pytest.mark.django_db
def test_zammad_import_reproduces_articles_files_states_tags_and_people(cast, zammad):
    source, report = _import(cast, zammad)
    assert report.counts[("request", "created")] == 4, report.lines()
    assert source.client.waits == [1.0]  # the 429's Retry-After, then the page again
    assert zammad.server.count("/api/v1/tickets") == 4  # page 1, page 2 (429, then 2), page 3
    assert zammad.server.count("/api/v1/users") == 4  # three full pages, then an empty one

    edi = Ticket.objects.get(reference="HELP-31001")
    assert edi.summary == "Facturile nu ajung la distribuitor prin EDI"
    assert edi.created_at.isoformat() == "2024-03-04T07:00:00+00:00"
    assert edi.details.startswith("Bună ziua,")
    assert "- factura 0043" in edi.details  # the HTML list kept as text
    assert edi.requester.email == "mihai.popescu@transilvania.ro"
    assert edi.requester.organization.name == "Transilvania Distribuție SRL"
    assert edi.assignee.email == "ioana.marinescu@suport-firma.ro"
    assert edi.status == Status.CLOSED
    comments = list(edi.comments.order_by("created_at", "pk"))
    assert [(c.body, c.is_public) for c in comments] == [
        ("Zammad tags: edi, facturare", False),
        ("Bună ziua, domnule Popescu,\n\nputeți trimite captura ecranului?", True),
        ("Notă internă: certificatul AS2 a expirat.", False),
        ("Am atașat captura.", True),
    ]
    assert comments[3].author == edi.requester
    files = {a.file_name: a for a in edi.attachments.all()}
    assert set(files) == {"jurnal-edi.log", "captură ecran.png"}  # not the inline image
    assert files["jurnal-edi.log"].comment is None  # the first article's: the request's
    assert files["captură ecran.png"].comment == comments[3]
    assert files["captură ecran.png"].file.read() == FILES["502"]
    assert _timeline(edi) == [
        (Status.WAITING_FOR_CUSTOMER, "2024-03-04T09:00:00+00:00"),  # pending reminder
        (Status.WAITING_FOR_SUPPORT, "2024-03-05T08:00:00+00:00"),  # open again
        (Status.RESOLVED, "2024-03-06T16:00:00+00:00"),  # pending close
        (Status.CLOSED, "2024-03-07T16:00:00+00:00"),  # by Zammad's system user
    ]

    export = Ticket.objects.get(reference="HELP-31002")
    assert export.details == "Dobrý den,\n\nexport objednávek končí chybou 500."
    petr = User.objects.get(email="petr.dvorak@plzenske.cz")
    assert petr.is_agent and export.assignee == petr  # an Agent who was also a Customer
    phone, note = export.comments.order_by("created_at")
    assert phone.author == export.requester and phone.is_public  # written for Jana
    assert note.author == petr and not note.is_public
    assert export.status == Status.WAITING_FOR_SUPPORT

    account = Ticket.objects.get(reference="HELP-31003")
    assert account.status == Status.WAITING_FOR_CUSTOMER  # "pending reminder"
    assert account.assignee is None  # owned by Zammad's "-": no one
    assert not account.requester.is_active  # a deactivated customer
    answer = account.comments.get(is_public=True)
    assert answer.author.email.endswith("@import.invalid")  # deleted from Zammad since
    assert not answer.author.is_active
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.count() == 0


@pytest.mark.django_db
def test_zammad_dry_run_writes_and_downloads_nothing(cast, zammad):
    before = _counts()
    _source, report = _import(cast, zammad, dry_run=True)
    assert _counts() == before
    assert not any(
        path.startswith("/api/v1/ticket_attachment/") for path, *_ in zammad.server.asked
    )
    lines = "\n".join(report.lines())
    assert "request: created 4" in lines
    assert "pending reminder → Waiting for customer" in lines
    assert report.counts[("attachment", "created")] == 3


@pytest.mark.django_db
def test_zammad_customers_see_exactly_their_requests(cast, zammad, client):
    _import(cast, zammad)
    mihai = User.objects.get(email="mihai.popescu@transilvania.ro")
    jana = User.objects.get(email="jana.svobodova@plzenske.cz")
    assert set(ticket_queryset_for_user(mihai).values_list("reference", flat=True)) == {
        "HELP-31001"
    }
    assert set(ticket_queryset_for_user(jana).values_list("reference", flat=True)) == {
        "HELP-31002",
        "HELP-31004",
    }
    assert not ticket_queryset_for_user(cast.other_customer).exists()
    assert ticket_queryset_for_user(cast.agent_help).count() == 4
    assert not ticket_queryset_for_user(cast.agent_dev).exists()

    client.force_login(mihai)
    page = client.get("/requests/HELP-31001/").content.decode()
    assert "puteți trimite captura ecranului?" in page
    assert "certificatul AS2" not in page and "Zammad tags" not in page  # internal notes
    assert client.get("/requests/HELP-31002/").status_code == 404
    # Through the portal: each customer's list, another company's customer, a colleague.
    assert listed(client) == {"HELP-31001"}
    client.force_login(jana)
    assert listed(client) == {"HELP-31002", "HELP-31004"}
    assert client.get("/requests/HELP-31001/").status_code == 404
    client.force_login(cast.other_customer)
    assert listed(client) == set()
    assert client.get("/requests/HELP-31001/").status_code == 404
    colleague_sees(client, mihai.organization, {"HELP-31001", "HELP-31003"})


@pytest.mark.django_db
def test_zammad_import_twice_changes_nothing_and_picks_up_a_new_article(cast, zammad):
    _import(cast, zammad)
    before = _counts()
    _source, report = _import(cast, zammad)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 4

    zammad.tickets[1]["updated_at"] = "2024-03-08T10:00:00.000Z"
    zammad.articles[102].append(
        {
            **zammad.articles[102][2],
            "id": 1010,
            "internal": False,
            "body": "<p>Opraveno ve verzi 4.3.</p>",
            "created_at": "2024-03-08T10:00:00.000Z",
        }
    )
    _source, report = _import(cast, zammad)
    assert report.counts[("request", "updated")] == 1
    export = Ticket.objects.get(reference="HELP-31002")
    assert export.comments.order_by("created_at").last().body == "Opraveno ve verzi 4.3."
    assert Comment.objects.count() == before[1] + 1


@pytest.mark.django_db
def test_zammad_import_broken_half_way_ends_complete_when_run_again(cast, zammad):
    zammad.broken.add("/api/v1/ticket_articles/by_ticket/103")
    with pytest.raises(Exception, match="HTTP 500"):
        _import(cast, zammad)
    assert set(Ticket.objects.values_list("number", flat=True)) == {31001, 31002}
    zammad.broken.clear()
    _import(cast, zammad)
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [31001, 31002, 31003, 31004]
    assert Attachment.objects.count() == 3
    assert ImportedObject.objects.filter(kind="request").count() == 4


@pytest.mark.django_db
def test_zammad_wrong_token_is_a_clear_message(cast, zammad):
    with pytest.raises(CommandError, match="HTTP 401"):
        call_command(
            "import", "zammad", "--url", zammad.url, "--token", "gresit", "--desk", "help",
            "--no-progress",
        )  # fmt: skip
    with pytest.raises(CommandError, match="--token"):
        call_command("import", "zammad", "--url", zammad.url, "--desk", "help")
    assert Ticket.objects.count() == 0


def _mapped(cast, zammad, **kw):
    """The import with Podpora CZ's requests put into the DEV desk."""
    return _import(cast, zammad, desks=desks_resolve({"Podpora CZ": "dev"}), **kw)


@pytest.mark.django_db
def test_zammad_groups_go_into_their_desks_with_priorities_and_the_merged_ticket_noted(
    cast, zammad
):
    _source, report = _mapped(cast, zammad)
    lines = "\n".join(report.lines())
    assert "  Podpora CZ → DEV: 2\n  Suport RO → HELP: 1\n  Users → HELP: 1" in lines
    assert "  3 high → High: 1" in lines
    assert "  1 low → not mapped, the desk's default: 1" in lines

    export = Ticket.objects.get(reference="DEV-31002")
    assert export.desk == cast.dev_desk and export.priority == cast.normal
    assert _timeline(export) == []  # new → open: waiting for support both, no change here
    petr = export.assignee
    assert ticket_queryset_for_user(petr).filter(pk=export.pk).exists()  # DEV's agent now
    assert ticket_queryset_for_user(cast.agent_dev).count() == 2
    assert ticket_queryset_for_user(cast.agent_help).count() == 2
    assert Ticket.objects.get(reference="HELP-31001").priority == cast.high
    assert Ticket.objects.get(reference="HELP-31003").priority is None  # "1 low": none here

    again = Ticket.objects.get(reference="DEV-31004")
    assert again.status == Status.CLOSED
    assert _timeline(again) == [(Status.CLOSED, "2024-03-05T09:30:00+00:00")]
    note = again.comments.get(is_public=False)
    assert note.body == "Merged into DEV-31002."
    assert note.created_at.isoformat() == "2024-03-05T09:30:00+00:00"  # the merge's time


@pytest.mark.django_db
def test_zammad_dry_run_reports_the_mappings_and_writes_nothing(cast, zammad):
    before = _counts()
    out = StringIO()
    call_command(
        "import", "zammad", "--url", zammad.url, "--token", TOKEN, "--desk", "help",
        "--desk-map", "Podpora CZ=DEV", "--priority", "1 low=High", "--dry-run",
        "--no-progress", stdout=out,
    )  # fmt: skip
    assert _counts() == before
    lines = out.getvalue()
    assert "Dry run: nothing was written." in lines
    assert "Groups (source → desk; change with --desk-map GROUP=DESK):" in lines
    assert "  Podpora CZ → DEV: 2" in lines
    assert "  1 low → High: 1" in lines and "  2 normal → Normal: 2" in lines
    assert "merged → Closed (closed)" in lines
    with pytest.raises(CommandError, match="There is no desk"):
        call_command(
            "import", "zammad", "--url", zammad.url, "--token", TOKEN, "--desk", "help",
            "--desk-map", "Podpora CZ=nope", "--dry-run", "--no-progress",
        )  # fmt: skip


@pytest.mark.django_db
def test_zammad_import_twice_keeps_one_status_history(cast, zammad):
    _mapped(cast, zammad)
    before = _counts()
    events = list(Event.objects.values_list("pk", flat=True))
    zammad.tickets[0]["updated_at"] = "2024-03-08T08:00:00.000Z"  # changed: read again
    _source, report = _mapped(cast, zammad)
    assert report.counts[("request", "updated")] == 1
    assert _counts() == before
    assert list(Event.objects.values_list("pk", flat=True)) == events
    assert len(_timeline(Ticket.objects.get(reference="HELP-31001"))) == 4


@pytest.fixture
def bucharest_policy(cast):
    """The HELP desk's: Monday to Friday 08:00–17:00 in Bucharest (UTC+2 in March 2024); first
    response in 30 minutes, resolution in 20 working hours."""
    calendar = Calendar.objects.create(name="Program, România", time_zone="Europe/Bucharest")
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=d, start_time=dt.time(8), end_time=dt.time(17))
        for d in range(5)
    )
    return Policy.objects.create(
        name="Zammad",
        desk=cast.help_desk,
        calendar=calendar,
        first_response_duration=dt.timedelta(minutes=30),
        resolution_duration=dt.timedelta(hours=20),
    )


@pytest.mark.django_db
def test_zammad_sla_report_counts_the_wait_for_the_customer_out(cast, zammad, bucharest_policy):
    _mapped(cast, zammad)
    report = sla_report(
        cast.lead_help,
        ReportFilters(
            start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 6), desk_id=cast.help_desk.pk
        ),
    )
    # HELP-31001, in Bucharest: created Mon 09:00, answered 11:00 while waiting for the
    # customer (first response 120 working minutes of 30: breached, due Mon 09:30); Mihai
    # answers Tue 10:00; solved Wed 18:00 (pending close). Resolution: Mon 09:00–11:00 (120)
    # + Tue 10:00–17:00 (420) + Wed 08:00–17:00 (540) = 1,080 minutes of 1,200, met — the
    # night and the wait (Mon 11:00 to Tue 10:00) are not counted; without the wait it would
    # be 1,560, breached.
    [row] = report.rows
    assert (row.goals, row.met, row.breached) == (2, 1, 1)
    assert row.resolution == [dt.timedelta(minutes=1080)]
    bucharest = ZoneInfo("Europe/Bucharest")
    assert [(line.reference, line.goal, line.due_at) for line in report.breaches] == [
        ("HELP-31001", "Time to first response", dt.datetime(2024, 3, 4, 9, 30, tzinfo=bucharest))
    ]
