"""osTicket read straight from a real MariaDB database the test creates from the documented
schema (docs/import.md#osticket)."""

from __future__ import annotations

from io import StringIO

import pymysql
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from supportal.accounts.models import User
from supportal.imports.http import SourceError
from supportal.imports.models import ImportedObject
from supportal.imports.records import Request
from supportal.imports.run import import_run
from supportal.imports.sources.osticket import OsTicketSource
from supportal.imports.tests.osticket_fixtures import (
    CONFIRMATION,
    CONTRACT,
    CONTRACT_KEY,
    osticket_database,
    root,
)
from supportal.imports.tests.portal import colleague_sees, listed
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.workflow import Status


@pytest.fixture
def osticket(tmp_path):
    try:
        root().close()
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB on 127.0.0.1:3306 is not running ({exc}): bash .ci/services")
    files = tmp_path / "osticket-files"
    (files / CONTRACT_KEY[0]).mkdir(parents=True)
    (files / CONTRACT_KEY[0] / CONTRACT_KEY).write_bytes(CONTRACT)
    with osticket_database() as url:
        yield url, str(files)


def _import(cast, osticket, **kw):
    url, files = osticket
    source = OsTicketSource(url=url, files_dir=files)
    try:
        return import_run(source, desk=cast.help_desk, statuses=source.statuses, **kw)
    finally:
        source.close()


def _timeline(ticket):
    """The request's status events: status, instant and who."""
    return [
        (event.payload.to_status, event.created_at.isoformat(), event.actor.email)
        for event in ticket.events.filter(kind="status_changed").order_by("created_at", "pk")
    ]


def _counts():
    return tuple(
        model.objects.count()
        for model in (Ticket, Comment, Attachment, Event, User, ImportedObject, OutboundEmail)
    )


@pytest.mark.django_db
def test_osticket_import_reproduces_threads_people_files_and_statuses(cast, osticket):
    report = _import(cast, osticket)
    assert report.counts[("request", "created")] == 2, report.lines()

    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    assert invoice.created_at.isoformat() == "2024-03-04T07:00:00+00:00"
    assert invoice.requester.email == "mihai.popescu@transilvania.ro"
    assert invoice.requester.get_full_name() == "Mihai Popescu"
    assert invoice.requester.organization.name == "Transilvania Logistică SRL"
    assert invoice.details.startswith("Bună ziua,\n\nNu pot emite factura")
    assert invoice.assignee.email == "ioana.marinescu@suport-firma.ro"
    assert invoice.status == Status.WAITING_FOR_SUPPORT
    # The thread's events: resolved with Ioana's answer, reopened by Mihai's message.
    assert _timeline(invoice) == [
        (Status.RESOLVED, "2024-03-04T08:00:00+00:00", "ioana.marinescu@suport-firma.ro"),
        (Status.WAITING_FOR_SUPPORT, "2024-03-04T09:00:00+00:00", "mihai.popescu@transilvania.ro"),
    ]
    assert invoice.priority == cast.high
    comments = list(invoice.comments.order_by("created_at"))
    assert [(c.body[:22], c.is_public, c.author.email[:6]) for c in comments] == [
        ("Intern: certificatul S", False, "ioana."),
        ("Bună ziua, domnule Pop", True, "ioana."),
        ("Acum funcționează, mul", True, "mihai."),
    ]
    confirmation = invoice.attachments.get()
    assert confirmation.file_name == "confirmare.pdf" and confirmation.comment == comments[2]
    assert confirmation.file.read() == CONFIRMATION  # both chunks of ost_file_chunk

    address = Ticket.objects.get(summary="Změna fakturační adresy")
    assert address.status == Status.CLOSED
    assert address.requester.email == "jana.svobodova@plzenske.cz"
    assert address.requester.organization is None
    contract = address.attachments.get()  # kept on disk, on the first message: the request's
    assert contract.comment is None and contract.file.read() == CONTRACT
    assert _timeline(address) == [
        (Status.CLOSED, "2024-03-06T15:00:00+00:00", "petr.novak@suport-firma.ro")
    ]
    assert address.priority == cast.normal
    assert User.objects.get(email="petr.novak@suport-firma.ro").is_agent
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.count() == 0


@pytest.mark.django_db
def test_osticket_import_twice_creates_nothing(cast, osticket):
    _import(cast, osticket)
    before = _counts()
    report = _import(cast, osticket)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 2


@pytest.mark.django_db
def test_osticket_departments_and_help_topics_become_desks_and_request_types(cast, osticket):
    url, files = osticket
    before = _counts()
    args = (
        "import", "osticket", "--url", url, "--files-dir", files, "--desk", "help",
        "--desk-map", "Fakturace=DEV", "--type-map", "Facturare electronică=Bug",
        "--no-progress",
    )  # fmt: skip
    out = StringIO()
    call_command(*args, "--dry-run", stdout=out)
    assert _counts() == before
    report = out.getvalue()
    assert "Groups (source → desk; change with --desk-map GROUP=DESK):\n" in report
    assert "  Fakturace → DEV: 1\n  Suport tehnic → HELP: 1\n" in report
    assert "  Facturare electronică → Bug: 1\n" in report
    assert "  Změna údajů → not mapped, none: 1\n" in report  # DEV has no such type
    assert "  High → High: 1\n  Normal → Normal: 1\n" in report

    call_command(*args, stdout=StringIO())
    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    assert (invoice.desk, invoice.request_type) == (cast.help_desk, cast.bug)
    address = Ticket.objects.get(summary="Změna fakturační adresy")
    assert (address.desk, address.request_type) == (cast.dev_desk, None)
    assert address.reference.startswith("DEV-") and address.status == Status.CLOSED
    assert len(_timeline(address)) == 1
    imported = _counts()
    call_command(*args, stdout=StringIO())  # again: nothing new
    assert _counts() == imported


@pytest.mark.django_db
def test_osticket_dry_run_writes_nothing_and_leaves_the_source_alone(cast, osticket, capsys):
    before = _counts()
    url, files = osticket
    call_command(
        "import", "osticket", "--url", url, "--files-dir", files, "--desk", "help",
        "--dry-run", "--no-progress",
    )  # fmt: skip
    assert _counts() == before
    out = capsys.readouterr().out
    assert "request: created 2" in out and "Closed" in out
    # The reader's connection is read-only: osTicket's database cannot be changed through it.
    source = OsTicketSource(url=url)
    with pytest.raises(SourceError, match="READ ONLY"):
        source._rows("UPDATE ost_ticket SET status_id = 1")
    source.close()


def test_osticket_bad_address_is_a_clear_error():
    with pytest.raises(Exception, match="mysql://USER:PASSWORD@HOST:PORT/DATABASE"):
        _ = OsTicketSource(url="https://osticket.firma.ro").statuses


@pytest.mark.django_db
def test_osticket_unreachable_or_foreign_database_is_a_clear_message(cast, osticket):
    url, _files = osticket
    with pytest.raises(CommandError, match="Access denied"):
        call_command(
            "import", "osticket", "--url", url.replace("root@", "root:wrong@"), "--desk", "help",
            "--no-progress",
        )  # fmt: skip
    with pytest.raises(CommandError, match=r"helpdesk_ticket_status' doesn't exist"):
        call_command(
            "import", "osticket", "--url", url, "--table-prefix", "helpdesk_", "--desk", "help",
            "--no-progress",
        )  # fmt: skip
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_osticket_numbers_kept_with_keep_numbers(cast, osticket):
    _import(cast, osticket, keep_numbers=True)
    assert set(Ticket.objects.values_list("reference", flat=True)) == {
        "HELP-482913",
        "HELP-482914",
    }
    cast.help_desk.refresh_from_db()
    assert cast.help_desk.last_ticket_number == 482914


@pytest.mark.django_db
def test_osticket_old_links_lead_to_the_imported_request(cast, osticket, client):
    _import(cast, osticket)
    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    ticket_id = ImportedObject.objects.get(kind="request", object_id=invoice.pk).source_id
    portal = reverse("portal:request", kwargs={"reference": invoice.reference})

    # Logged out: log in first, then back to the same old link.
    answer = client.get(f"/tickets.php?id={ticket_id}")
    assert answer.status_code == 302 and answer["Location"].startswith("/login")
    client.force_login(invoice.requester)
    assert client.get(f"/tickets.php?id={ticket_id}")["Location"] == portal
    # The mailed link names the ticket's number; its address is not what admits.
    view = "/view.php?t=482913&e=someone%40elsewhere.example"
    assert client.get(view)["Location"] == portal
    assert client.get("/tickets.php?id=99999").status_code == 404
    assert client.get("/tickets.php?id=1%27%20OR%201=1").status_code == 404
    # The staff panel's link, for an agent of the desk: the workspace.
    client.force_login(invoice.assignee)
    staff = client.get(f"/scp/tickets.php?id={ticket_id}")
    assert staff["Location"] == reverse("workspace:ticket", kwargs={"reference": invoice.reference})
    # Someone else's customer: not found, as on the request page.
    client.force_login(cast.other_customer)
    assert client.get(f"/tickets.php?id={ticket_id}").status_code == 404


@pytest.mark.django_db
def test_osticket_customers_see_exactly_their_imported_requests(cast, osticket, client):
    _import(cast, osticket)
    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    address = Ticket.objects.get(summary="Změna fakturační adresy")

    client.force_login(invoice.requester)
    assert listed(client) == {invoice.reference}
    page = client.get(f"/requests/{invoice.reference}/").content.decode()
    assert "Am reînnoit certificatul" in page
    assert "certificatul SSL al portalului" not in page  # the internal note stays with agents
    assert client.get(f"/requests/{address.reference}/").status_code == 404

    client.force_login(address.requester)
    assert listed(client) == {address.reference}
    assert client.get(f"/requests/{invoice.reference}/").status_code == 404

    client.force_login(cast.other_customer)  # another company's customer
    assert listed(client) == set()
    assert client.get(f"/requests/{invoice.reference}/").status_code == 404
    assert client.get(f"/requests/{address.reference}/").status_code == 404

    # Mihai's colleague sees his request only once their company shares its requests.
    colleague_sees(client, invoice.requester.organization, {invoice.reference})
    assert client.get(f"/requests/{address.reference}/").status_code == 404


def _killed_after_the_first_request(source):
    """The source's records, its MariaDB connection killed once the first request is read
    (the server restarted half-way)."""
    records = source.records

    def killed():
        for record in records():
            yield record
            if isinstance(record, Request):
                admin = root()
                try:
                    with admin.cursor() as cursor:
                        cursor.execute(f"KILL {source._connection.thread_id()}")
                finally:
                    admin.close()

    source.records = killed
    return source


@pytest.mark.django_db
def test_osticket_import_killed_half_way_ends_complete_when_run_again(cast, osticket):
    url, files = osticket
    source = _killed_after_the_first_request(OsTicketSource(url=url, files_dir=files))
    with pytest.raises(SourceError):
        import_run(source, desk=cast.help_desk, statuses=source.statuses)
    source.close()
    assert list(Ticket.objects.values_list("summary", flat=True)) == [
        "Nu pot emite factura din portal"
    ]

    report = _import(cast, osticket)
    assert report.counts[("request", "skipped")] == 1
    assert report.counts[("request", "created")] == 1
    assert sorted(Ticket.objects.values_list("summary", flat=True)) == [
        "Nu pot emite factura din portal",
        "Změna fakturační adresy",
    ]
    assert Comment.objects.count() == 4  # three on the invoice, one on the address
    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    assert [status for status, _at, _who in _timeline(invoice)] == [
        Status.RESOLVED,
        Status.WAITING_FOR_SUPPORT,
    ]  # its status history once, not twice
    assert Attachment.objects.count() == 2
    assert ImportedObject.objects.filter(kind="request").count() == 2
    before = _counts()
    _import(cast, osticket)
    assert _counts() == before
    assert OutboundEmail.objects.count() == 0
