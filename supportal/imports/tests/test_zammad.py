"""Zammad's REST API against a local server answering as Zammad documents it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from supportal.accounts.models import User
from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run, statuses_parse
from supportal.imports.sources.zammad import ZammadSource
from supportal.imports.tests.zammad_fixtures import FILES, TOKEN, Zammad
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
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


def _counts():
    return tuple(
        model.objects.count()
        for model in (Ticket, Comment, Attachment, Event, User, ImportedObject, OutboundEmail)
    )


@pytest.mark.django_db
def test_zammad_import_reproduces_articles_files_states_tags_and_people(cast, zammad):
    source, report = _import(cast, zammad)
    assert report.counts[("request", "created")] == 3, report.lines()
    assert source.client.waits == [1.0]  # the 429's Retry-After, then the page again
    assert zammad.server.count("/api/v1/tickets") == 3  # page 1, page 2 (429, then short)
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
    closed = edi.events.filter(kind="status_changed").get()
    assert closed.payload.to_status == Status.CLOSED
    assert closed.created_at.isoformat() == "2024-03-06T16:00:00+00:00"

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
    assert "request: created 3" in lines
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
    assert set(ticket_queryset_for_user(jana).values_list("reference", flat=True)) == {"HELP-31002"}
    assert not ticket_queryset_for_user(cast.other_customer).exists()
    assert ticket_queryset_for_user(cast.agent_help).count() == 3
    assert not ticket_queryset_for_user(cast.agent_dev).exists()

    client.force_login(mihai)
    page = client.get("/requests/HELP-31001/").content.decode()
    assert "puteți trimite captura ecranului?" in page
    assert "certificatul AS2" not in page and "Zammad tags" not in page  # internal notes
    assert client.get("/requests/HELP-31002/").status_code == 404


@pytest.mark.django_db
def test_zammad_import_twice_changes_nothing_and_picks_up_a_new_article(cast, zammad):
    _import(cast, zammad)
    before = _counts()
    _source, report = _import(cast, zammad)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 3

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
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [31001, 31002, 31003]
    assert Attachment.objects.count() == 3
    assert ImportedObject.objects.filter(kind="request").count() == 3


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
