"""Jira's CSV export as a source: a file shaped as Jira Service Desk writes it (one row per
issue, repeated Comment, Attachment and participant columns), its files served by a local
server as Jira's attachment addresses."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import call_command

from supportal.accounts.models import User
from supportal.desks.models import CustomField
from supportal.imports.models import ImportedObject
from supportal.imports.records import Request
from supportal.imports.run import import_run
from supportal.imports.sources.jira_csv import JiraCsvSource, emails_read
from supportal.imports.tests.portal import listed
from supportal.imports.tests.server import Answer, FixtureServer
from supportal.mail.models import OutboundEmail
from supportal.tickets.models import Attachment, Comment, Ticket
from supportal.tickets.selectors import ticket_queryset_for_user
from supportal.tickets.workflow import Status

LOG = "2024-03-04 08:55 EDI: conexiune refuzată de distribuitor\n".encode() * 40
PDF = b"%PDF-1.4 factura 4471 " + bytes(range(256)) * 8
HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name",
    "Priority", "Resolution", "Assignee", "Reporter", "Creator", "Created", "Updated",
    "Last Viewed", "Resolved", "Description", "Watchers", "Watchers",
    "Attachment", "Attachment", "Custom field (Customer Request Type)",
    "Custom field (Request participants)", "Custom field (Request participants)",
    "Comment", "Comment", "Comment",
    "Custom field (Cod magazin)", "Custom field (Sistem afectat)",
    "Custom field (Sistem afectat)", "Custom field (Time to resolution)",
    "Outward issue link (Duplicate)",
]  # fmt: skip


def _rows(url: str) -> list[list[str]]:
    files = f"{url}/secure/attachment"
    return [
        [
            "Facturile nu ajung la distribuitor", "HELP-161", "10161", "Service Request",
            "Resolved", "HELP", "Helpdesk", "High", "Done", "ioana.marin", "mihai.popescu",
            "mihai.popescu", "04/Mar/24 9:00 AM", "05/Mar/24 4:10 PM", "", "05/Mar/24 4:00 PM",
            "Din 3 martie facturile nu se mai transmit prin EDI.", "ioana.marin", "",
            f"04/Mar/24 9:30 AM;ioana.marin;jurnal-edi.txt;{files}/20001/jurnal-edi.txt",
            f"04/Mar/24 9:05 AM;mihai.popescu;factura-4471.pdf;{files}/20002/factura-4471.pdf",
            "Get IT help", "ana.ionescu", "",
            "04/Mar/24 9:30 AM;ioana.marin;Am găsit eroarea în jurnal: [^jurnal-edi.txt]",
            "04/Mar/24 10:00 AM;mihai.popescu;Mulțumesc; aștept vești.",
            "04/Mar/24 10:15 AM;ioana.marin;Notă: distribuitorul a schimbat certificatul.",
            "MAG-0042", "EDI", "Portal clienți", "4h", "",
        ],
        [
            "Export do účetnictví se zasekne", "HELP-162", "10162", "Service Request",
            "Waiting for support", "HELP", "Helpdesk", "Medium", "", "", "jana.novakova",
            "jana.novakova", "06/Mar/24 2:00 PM", "06/Mar/24 2:20 PM", "", "",
            "Export faktur skončí chybou po 10 minutách.", "", "", "", "", "Get IT help",
            "", "", "06/Mar/24 2:20 PM;jana.novakova;Přikládám snímek obrazovky.", "", "",
            "", "Účetnictví", "", "", "",
        ],
        [
            "Facturile tot nu ajung", "HELP-163", "10163", "Service Request", "Closed",
            "HELP", "Helpdesk", "High", "Duplicate", "ioana.marin", "mihai.popescu",
            "mihai.popescu", "04/Mar/24 11:00 AM", "04/Mar/24 11:20 AM", "",
            "04/Mar/24 11:20 AM", "Nici azi nu au ajuns facturile.", "", "", "", "",
            "Get IT help", "", "", "", "", "", "MAG-0042", "EDI", "", "", "HELP-161",
        ],
        [
            "Another project's issue", "DEV-5", "10005", "Bug", "Open", "DEV", "Development",
            "Low", "", "", "mihai.popescu", "mihai.popescu", "06/Mar/24 3:00 PM",
            "06/Mar/24 3:00 PM", "", "", "", "", "", "", "", "", "", "", "", "", "",
            "", "", "", "", "",
        ],
    ]  # fmt: skip


@pytest.fixture
def jira_files():
    def route(path, _query, _server):
        files = {
            "/secure/attachment/20001/jurnal-edi.txt": LOG,
            "/secure/attachment/20002/factura-4471.pdf": PDF,
        }
        return Answer(raw=files[path]) if path in files else None

    with FixtureServer(route) as server:
        yield server


@pytest.fixture
def export(tmp_path, jira_files):
    path = tmp_path / "JIRA.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(_rows(jira_files.url))
    people = tmp_path / "people.csv"
    people.write_text(
        "mihai.popescu,mihai.popescu@transilvania.ro\n"
        "ana.ionescu,ana.ionescu@transilvania.ro\n"
        "jana.novakova,jana.novakova@pivovar.cz\n"
        "ioana.marin,ioana.marin@suport-firma.ro\n",
        encoding="utf-8",
    )
    return path, people


def _source(export, jira_files, **kw):
    path, people = export
    return JiraCsvSource(
        path=str(path),
        time_zone="Europe/Bucharest",
        emails=emails_read(str(people)),
        base_url=jira_files.url,
        user="import@firma.ro",
        token="jeton",
        **kw,
    )


def _import(cast, source):
    return import_run(source, desk=cast.help_desk, statuses=source.statuses)


def _counts():
    return tuple(m.objects.count() for m in (Ticket, Comment, Attachment, User, ImportedObject))


@pytest.mark.django_db
def test_the_csv_export_becomes_the_requests_with_their_conversation_and_files(
    cast, export, jira_files
):
    report = _import(cast, _source(export, jira_files))

    assert report.counts[("request", "created")] == 3  # DEV-5 is another project's
    help161 = Ticket.objects.get(reference="HELP-161")
    assert help161.summary == "Facturile nu ajung la distribuitor"
    assert help161.created_at == dt.datetime(2024, 3, 4, 7, 0, tzinfo=dt.UTC)  # 9:00 in Bucharest
    assert help161.status == Status.RESOLVED
    assert help161.priority == cast.high  # Jira's High is the priority of the same name
    assert help161.resolved_at == dt.datetime(2024, 3, 5, 14, 0, tzinfo=dt.UTC)
    assert help161.requester.email == "mihai.popescu@transilvania.ro"
    assert help161.assignee.email == "ioana.marin@suport-firma.ro"
    assert help161.assignee.is_agent
    assert list(help161.participants.values_list("user__email", flat=True)) == [
        "ana.ionescu@transilvania.ro"
    ]
    comments = list(help161.comments.order_by("created_at"))
    # The export does not say who saw what: the agent's comments are internal notes.
    assert [(c.author.email, c.is_public) for c in comments] == [
        ("ioana.marin@suport-firma.ro", False),
        ("mihai.popescu@transilvania.ro", True),
        ("ioana.marin@suport-firma.ro", False),
    ]
    assert comments[1].body == "Mulțumesc; aștept vești."  # a ; inside the text stays
    # The file the comment names is the comment's (and internal with it); the other the request's.
    log = Attachment.objects.get(file_name="jurnal-edi.txt")
    assert log.comment == comments[0] and log.is_internal and log.file.read() == LOG
    pdf = Attachment.objects.get(file_name="factura-4471.pdf")
    assert pdf.comment is None and pdf.file.read() == PDF and pdf.size == len(PDF)
    # Fetched from Jira's addresses with the importer's credentials.
    assert jira_files.count("/secure/attachment/20002/factura-4471.pdf") == 1
    assert all("Authorization" in headers for _p, _q, headers in jira_files.asked)

    help162 = Ticket.objects.get(reference="HELP-162")
    assert help162.status == Status.WAITING_FOR_SUPPORT
    assert help162.comments.get().is_public
    # Each customer sees exactly their requests; no one was told anything.
    jana = User.objects.get(email="jana.novakova@pivovar.cz")
    assert list(ticket_queryset_for_user(jana).values_list("reference", flat=True)) == ["HELP-162"]
    assert OutboundEmail.objects.count() == 0

    before = _counts()
    again = _import(cast, _source(export, jira_files))
    assert _counts() == before
    assert again.counts[("request", "skipped")] == 3


@pytest.mark.django_db
def test_agents_comments_public_when_asked_and_the_command_dry_run_writes_nothing(
    cast, export, jira_files, capsys
):
    path, people = export
    before = _counts()
    call_command(
        "import", "jira-csv", file=str(path), people=str(people), desk="HELP",
        time_zone="Europe/Bucharest", dry_run=True, no_progress=True,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "Dry run" in out and "request: created 3" in out and "Resolved → Resolved" in out
    assert "  High → High: 2" in out and "  Medium → not mapped, the desk's default: 1" in out
    assert _counts() == before
    assert not jira_files.asked  # a dry run fetches no file

    source = _source(export, jira_files, agent_comments_public=True)
    priorities = {"Medium": "normal"}  # --priority Medium=Normal
    import_run(source, desk=cast.help_desk, statuses=source.statuses, priorities=priorities)
    assert Ticket.objects.get(reference="HELP-162").priority == cast.normal
    assert all(
        Ticket.objects.get(reference="HELP-161").comments.values_list("is_public", flat=True)
    )


@pytest.mark.django_db
def test_request_types_custom_fields_and_duplicates_of_the_export_are_mapped(
    cast, export, jira_files, capsys
):
    path, people = export
    options = dict(file=str(path), people=str(people), desk="HELP", no_progress=True)
    before = (*_counts(), CustomField.objects.count())
    call_command("import", "jira-csv", type_map=["Get IT help=Question"], dry_run=True, **options)
    out = capsys.readouterr().out
    assert (*_counts(), CustomField.objects.count()) == before
    assert "  Helpdesk → HELP: 3" in out and "  Get IT help → Question: 3" in out
    assert "Custom fields: 2 to create, 0 mapped" in out
    assert "Time to resolution" not in out  # the service desk's own field

    call_command("import", "jira-csv", type_map=["Get IT help=Question"], **options)
    help161 = Ticket.objects.get(reference="HELP-161")
    assert help161.request_type == cast.question
    fields = {f.label: f for f in CustomField.objects.filter(desk=cast.help_desk)}
    assert sorted(fields) == ["Cod magazin", "Sistem afectat"]
    # The export does not say a field's type: text, a repeated column's values joined.
    assert {f.kind for f in fields.values()} == {"text"}
    assert help161.custom_fields == {
        fields["Cod magazin"].name: "MAG-0042",
        fields["Sistem afectat"].name: "EDI, Portal clienți",
    }
    duplicate = Ticket.objects.get(reference="HELP-163")
    assert duplicate.status == Status.CLOSED
    assert duplicate.comments.get().body == "Merged into HELP-161."

    before = (*_counts(), CustomField.objects.count())
    call_command("import", "jira-csv", type_map=["Get IT help=Question"], **options)
    assert (*_counts(), CustomField.objects.count()) == before


@pytest.mark.django_db
def test_a_file_that_is_not_a_jira_export_is_a_clear_message(cast, tmp_path):
    from django.core.management.base import CommandError

    other = tmp_path / "other.csv"
    other.write_text("name,email\nAna,ana@firma.ro\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a Jira CSV export"):
        call_command("import", "jira-csv", file=str(other), desk="HELP", no_progress=True)
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "jira-csv", file=str(tmp_path / "x.csv"), desk="HELP")


@pytest.mark.django_db
def test_customers_see_exactly_their_requests_of_the_export(cast, export, jira_files, client):
    _import(cast, _source(export, jira_files))
    mihai = User.objects.get(email="mihai.popescu@transilvania.ro")
    ana = User.objects.get(email="ana.ionescu@transilvania.ro")
    jana = User.objects.get(email="jana.novakova@pivovar.cz")

    client.force_login(mihai)
    assert listed(client) == {"HELP-161", "HELP-163"}
    page = client.get("/requests/HELP-161/").content.decode()
    assert "Mulțumesc; aștept vești." in page
    assert "distribuitorul a schimbat certificatul" not in page  # the agent's internal note
    assert client.get("/requests/HELP-162/").status_code == 404
    client.force_login(ana)  # a request participant in Jira
    assert listed(client) == {"HELP-161"}
    assert client.get("/requests/HELP-163/").status_code == 404
    client.force_login(jana)
    assert listed(client) == {"HELP-162"}
    assert client.get("/requests/HELP-161/").status_code == 404
    client.force_login(cast.other_customer)  # another company's customer
    assert listed(client) == set()
    for reference in ("HELP-161", "HELP-162", "HELP-163"):
        assert client.get(f"/requests/{reference}/").status_code == 404


class _Interrupted(JiraCsvSource):
    """The export's reader, stopped by a failing disk once ``after`` requests are read."""

    after: int = 1

    def records(self):
        read = 0
        for record in super().records():
            if isinstance(record, Request):
                if read == self.after:
                    raise OSError("Input/output error")
                read += 1
            yield record


@pytest.mark.django_db
def test_the_csv_import_stopped_half_way_ends_complete_when_run_again(cast, export, jira_files):
    path, people = export
    interrupted = _Interrupted(
        path=str(path),
        time_zone="Europe/Bucharest",
        emails=emails_read(str(people)),
        base_url=jira_files.url,
        user="import@firma.ro",
        token="jeton",
    )
    with pytest.raises(OSError, match="Input/output error"):
        _import(cast, interrupted)
    assert list(Ticket.objects.values_list("reference", flat=True)) == ["HELP-161"]

    report = _import(cast, _source(export, jira_files))
    assert report.counts[("request", "skipped")] == 1
    assert report.counts[("request", "created")] == 2
    assert sorted(Ticket.objects.values_list("reference", flat=True)) == [
        "HELP-161",
        "HELP-162",
        "HELP-163",
    ]
    # As one uninterrupted import writes them: none twice, each file fetched once.
    assert Comment.objects.count() == 5  # three, one, and the duplicate's note
    assert Attachment.objects.count() == 2
    assert jira_files.count("/secure/attachment/20002/factura-4471.pdf") == 1
    assert ImportedObject.objects.filter(kind="request").count() == 3
    assert OutboundEmail.objects.count() == 0
