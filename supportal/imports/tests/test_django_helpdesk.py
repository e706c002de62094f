"""django-helpdesk read from a database that django-helpdesk 2.6.1 made itself: installed from
the package registry into a throwaway environment under var/ (helpdesk_env.py), its tables
migrated and filled through its own models (helpdesk_make.py). The old links redirect."""

from __future__ import annotations

import os
import sqlite3
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import CommandError, call_command

from supportal.accounts.models import User
from supportal.imports.http import SourceError
from supportal.imports.models import ImportedObject
from supportal.imports.records import Request
from supportal.imports.run import import_run, statuses_parse
from supportal.imports.sources.django_helpdesk import DjangoHelpdeskSource
from supportal.imports.tests.helpdesk_env import (
    VERSION,
    HelpdeskUnavailable,
    helpdesk_database,
    helpdesk_sqlite,
)
from supportal.imports.tests.portal import listed
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.selectors import ticket_queryset_for_user
from supportal.tickets.workflow import Status

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory):
    """The database and media folder django-helpdesk made (read-only for the reader, so one
    serves every test of the module): a copy of the one kept under var/."""
    folder = tmp_path_factory.mktemp("django-helpdesk")
    try:
        url, media, made = helpdesk_sqlite(folder)
    except HelpdeskUnavailable as exc:
        pytest.skip(f"django-helpdesk {VERSION} could not be installed: {exc}")
    return url, str(media), made


def _source(helpdesk, queues=("suport",)):
    url, media, _made = helpdesk
    return DjangoHelpdeskSource(url=url, queues=queues, files_dir=media)


def _import(cast, helpdesk, queues=("suport",), **kw):
    source = _source(helpdesk, queues)
    try:
        statuses = statuses_parse([], source.statuses)
        return import_run(source, desk=cast.help_desk, statuses=statuses, **kw)
    finally:
        source.close()


def _timeline(ticket):
    """The request's status events: status and instant."""
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
def test_helpdesk_import_reproduces_follow_ups_files_statuses_and_people(cast, helpdesk):
    _url, _media, made = helpdesk
    report = _import(cast, helpdesk, keep_numbers=True)
    assert report.counts[("request", "created")] == 2, report.lines()  # the queue "suport" only

    number = made["tickets"]["invoice"]
    invoice = Ticket.objects.get(reference=f"HELP-{number}")
    assert invoice.summary == "Nu pot emite factura din portal"
    assert invoice.created_at.isoformat() == "2024-03-04T07:00:00+00:00"
    assert invoice.details.startswith("Bună ziua,\n\nNu pot emite factura din portal")
    assert invoice.requester.email == "mihai.popescu@transilvania.ro"
    assert invoice.requester.get_full_name() == "Mihai Popescu"
    assert invoice.assignee.email == "ioana.marinescu@suport-firma.ro"
    assert invoice.assignee.is_agent
    assert invoice.status == Status.RESOLVED
    assert [p.user.email for p in invoice.participants.all()] == ["radu.ilie@transilvania.ro"]
    comments = list(invoice.comments.order_by("created_at"))
    # The "Ticket Opened" follow-up is the request itself, not a comment.
    assert [(c.body[:24], c.is_public, c.author.email[:6]) for c in comments] == [
        ("Bună ziua, domnule Popes", True, "ioana."),
        ("Intern: certificatul de ", False, "ioana."),
        ("Am reînnoit certificatul", True, "ioana."),
    ]
    files = {a.file_name: a for a in invoice.attachments.all()}
    assert set(files) == {"captură ecran.png", "raport intervenție.pdf"}
    assert files["captură ecran.png"].comment is None  # the opening follow-up's: the request's
    assert files["raport intervenție.pdf"].comment == comments[0]
    assert files["raport intervenție.pdf"].file.read().startswith(b"%PDF-1.4\n% raport")
    assert sorted(a.size for a in files.values()) == sorted(
        size for name, size in made["files"].items() if f"suport-{number}-" in name
    )
    assert _timeline(invoice) == [(Status.RESOLVED, "2024-03-05T12:00:00+00:00")]
    assert invoice.priority == cast.high  # django-helpdesk's 2, High

    address = Ticket.objects.get(reference=f"HELP-{made['tickets']['address']}")
    assert address.status == Status.CLOSED
    jana = address.requester
    assert jana.email == "jana.svobodova@plzenske.cz" and not jana.is_agent
    mail, closing = address.comments.order_by("created_at")
    assert mail.author == jana and mail.is_public  # her e-mail had no user in django-helpdesk
    contract = address.attachments.get()
    assert contract.file_name == "smlouva.pdf" and contract.comment == mail
    assert closing.body == "Adresa je změněna. Děkujeme."
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.count() == 0


@pytest.mark.django_db
def test_helpdesk_import_twice_changes_nothing(cast, helpdesk):
    _import(cast, helpdesk)
    before = _counts()
    report = _import(cast, helpdesk)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 2


def _closed_after_the_first_request(source):
    """The source's records, its database connection closed once the first request is read
    (the database went away half-way)."""
    records = source.records

    def closed():
        for record in records():
            yield record
            if isinstance(record, Request):
                source.db.connection.close()

    source.records = closed
    return source


@pytest.mark.django_db
def test_helpdesk_import_killed_half_way_ends_complete_when_run_again(cast, helpdesk):
    source = _closed_after_the_first_request(_source(helpdesk, queues=()))
    with pytest.raises(SourceError):
        import_run(source, desk=cast.help_desk, statuses=statuses_parse([], source.statuses))
    source.close()
    assert Ticket.objects.count() == 1

    report = _import(cast, helpdesk, queues=())
    assert report.counts[("request", "skipped")] == 1
    assert report.counts[("request", "created")] == 2
    assert Ticket.objects.count() == 3
    # As one uninterrupted import of every queue writes them: none twice.
    assert Comment.objects.count() == 8
    assert Attachment.objects.count() == 3
    assert Event.objects.filter(kind="status_changed").count() == 4
    assert ImportedObject.objects.filter(kind="request").count() == 3
    before = _counts()
    _import(cast, helpdesk, queues=())
    assert _counts() == before
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_helpdesk_queues_go_into_their_desks_with_their_status_history(cast, helpdesk):
    url, media, _made = helpdesk
    args = (
        "import", "django-helpdesk", "--url", url, "--files-dir", media, "--desk", "help",
        "--desk-map", "facturare=DEV", "--priority", "Critical=High", "--no-progress",
    )  # fmt: skip
    before = _counts()
    out = StringIO()
    call_command(*args, "--dry-run", stdout=out)
    assert _counts() == before
    report = out.getvalue()
    assert "  facturare → DEV: 1\n  suport → HELP: 2\n" in report
    assert "  Critical → High: 1\n  High → High: 1\n  Normal → Normal: 1\n" in report

    call_command(*args, stdout=StringIO())
    duplicate = Ticket.objects.get(summary="Factură dublată în martie")
    assert duplicate.desk == cast.dev_desk and duplicate.priority == cast.high
    # Resolved by Ioana, reopened by Mihai's answer: both, at their times.
    assert duplicate.status == Status.WAITING_FOR_SUPPORT
    assert _timeline(duplicate) == [
        (Status.RESOLVED, "2024-03-07T10:00:00+00:00"),
        (Status.WAITING_FOR_SUPPORT, "2024-03-07T11:00:00+00:00"),
    ]
    assert ticket_queryset_for_user(cast.agent_dev).get() == duplicate
    assert duplicate.assignee is None  # no one was assigned in django-helpdesk
    imported = _counts()
    call_command(*args, stdout=StringIO())
    assert _counts() == imported


@pytest.mark.django_db
def test_helpdesk_dry_run_writes_nothing_and_the_reader_cannot_write(cast, helpdesk, capsys):
    url, media, _made = helpdesk
    before = _counts()
    call_command(
        "import", "django-helpdesk", "--url", url, "--files-dir", media, "--queue", "suport",
        "--desk", "help", "--dry-run", "--no-progress",
    )  # fmt: skip
    assert _counts() == before
    out = capsys.readouterr().out
    assert "request: created 2" in out
    assert "attachment: created 3" in out
    assert "Resolved → Resolved" in out and "Closed → Closed" in out
    source = _source(helpdesk)
    with pytest.raises(SourceError, match="readonly"):
        source.db.rows("UPDATE helpdesk_ticket SET status = 1")
    source.close()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT COUNT(*) FROM helpdesk_ticket WHERE status = 1").fetchone() == (
            0,
        )


@pytest.mark.django_db
def test_helpdesk_customers_see_exactly_their_requests_and_old_links_redirect(
    cast, helpdesk, client
):
    _url, _media, made = helpdesk
    _import(cast, helpdesk, queues=())  # every queue
    assert Ticket.objects.count() == 3
    mihai = User.objects.get(email="mihai.popescu@transilvania.ro")
    jana = User.objects.get(email="jana.svobodova@plzenske.cz")
    radu = User.objects.get(email="radu.ilie@transilvania.ro")
    mine = set(ticket_queryset_for_user(mihai).values_list("summary", flat=True))
    assert mine == {"Nu pot emite factura din portal", "Factură dublată în martie"}
    assert set(ticket_queryset_for_user(jana).values_list("summary", flat=True)) == {
        "Změna fakturační adresy"
    }
    assert set(ticket_queryset_for_user(radu).values_list("summary", flat=True)) == {
        "Nu pot emite factura din portal"
    }  # copied on it there: a participant here
    assert not ticket_queryset_for_user(cast.other_customer).exists()
    assert not ticket_queryset_for_user(cast.agent_dev).exists()
    assert ticket_queryset_for_user(cast.agent_help).count() == 3
    andrei = User.objects.get(email="andrei.vechi@transilvania.ro")
    assert not andrei.is_active  # a deactivated user keeps authoring his follow-up
    assert Comment.objects.get(author=andrei).body == "Verific cu contabilitatea."

    invoice_id = made["tickets"]["invoice"]
    invoice = Ticket.objects.get(summary="Nu pot emite factura din portal")
    client.force_login(mihai)
    staff_link = client.get(f"/helpdesk/tickets/{invoice_id}/")
    assert staff_link.status_code == 302
    assert staff_link["Location"] == f"/requests/{invoice.reference}/"
    mail_link = client.get(
        "/helpdesk/view/",
        {"ticket": f"suport-{invoice_id}", "email": mihai.email, "key": "2f1e…"},
    )
    assert mail_link["Location"] == f"/requests/{invoice.reference}/"
    page = client.get(mail_link["Location"]).content.decode()
    assert "vă trimit raportul atașat" in page
    assert "certificatul de semnare a expirat" not in page  # internal stays with the agents
    address = Ticket.objects.get(summary="Změna fakturační adresy")
    # The portal's list: the references of Mihai's two requests, nothing else.
    assert listed(client) == set(
        Ticket.objects.filter(summary__in=mine).values_list("reference", flat=True)
    )
    assert client.get(f"/requests/{address.reference}/").status_code == 404
    client.force_login(cast.other_customer)  # another company's customer
    assert listed(client) == set()
    assert client.get(f"/requests/{invoice.reference}/").status_code == 404
    client.force_login(mihai)
    address_id = made["tickets"]["address"]
    assert client.get(f"/helpdesk/tickets/{address_id}/").status_code == 404  # Jana's
    assert client.get("/helpdesk/view/", {"ticket": "suport-x"}).status_code == 404
    client.force_login(cast.agent_help)
    assert client.get(f"/helpdesk/tickets/{address_id}/")["Location"].startswith("/agent/")
    client.logout()
    assert client.get(f"/helpdesk/tickets/{invoice_id}/")["Location"] == (
        f"/login/?next=%2Fhelpdesk%2Ftickets%2F{invoice_id}%2F"
    )


@pytest.mark.django_db
def test_helpdesk_unknown_queue_or_database_is_a_clear_message(cast, helpdesk, tmp_path):
    url, _media, _made = helpdesk
    with pytest.raises(CommandError, match="no queue vanzari"):
        call_command(
            "import", "django-helpdesk", "--url", url, "--queue", "vanzari", "--desk", "help",
            "--no-progress",
        )  # fmt: skip
    with pytest.raises(CommandError, match="no SQLite database"):
        call_command(
            "import", "django-helpdesk", "--url", f"sqlite:///{tmp_path}/none.sqlite3",
            "--desk", "help", "--no-progress",
        )  # fmt: skip
    assert Ticket.objects.count() == 0


@pytest.fixture
def helpdesk_postgres(tmp_path):
    """The same database made by django-helpdesk on PostgreSQL (a throwaway database on the
    machine's server, dropped afterwards)."""
    import uuid

    import psycopg

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        server = "postgres://postgres@127.0.0.1:5432/postgres"
    name = f"helpdesk_{uuid.uuid4().hex[:12]}"
    admin_url = urlunsplit(urlsplit(server)._replace(path="/postgres"))
    try:
        admin = psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not running ({exc}): bash .ci/services")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        try:
            made = helpdesk_database(url, tmp_path / "media")
        except HelpdeskUnavailable as exc:
            pytest.skip(f"django-helpdesk {VERSION} could not be installed: {exc}")
        yield url, str(tmp_path / "media"), made
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.django_db
def test_helpdesk_on_postgresql_imports_the_same_and_cannot_write(cast, helpdesk_postgres):
    url, media, made = helpdesk_postgres
    report = _import(cast, helpdesk_postgres, keep_numbers=True)
    assert report.counts[("request", "created")] == 2, report.lines()
    invoice = Ticket.objects.get(reference=f"HELP-{made['tickets']['invoice']}")
    assert invoice.created_at.isoformat() == "2024-03-04T07:00:00+00:00"
    assert invoice.status == Status.RESOLVED
    assert invoice.comments.count() == 3 and invoice.attachments.count() == 2
    assert Ticket.objects.get(summary="Změna fakturační adresy").status == Status.CLOSED
    source = DjangoHelpdeskSource(url=url, files_dir=media)
    with pytest.raises(SourceError, match="read-only transaction"):
        source.db.rows("UPDATE helpdesk_ticket SET status = 1")
    source.close()
