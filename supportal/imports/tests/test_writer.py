"""The writer with a generated source: faithful, quiet, idempotent, resumable."""

from __future__ import annotations

import pytest

from supportal.imports.models import ImportedObject
from supportal.imports.run import import_run
from supportal.imports.sources.generated import GeneratedSource
from supportal.mail.models import OutboundEmail
from supportal.notifications.models import PendingNotification
from supportal.tickets.models import Attachment, Comment, Event, Ticket
from supportal.tickets.workflow import Status


def _run(cast, source, **kw):
    return import_run(source, desk=cast.help_desk, statuses=source.statuses, **kw)


def _counts():
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        Attachment.objects.count(),
        Event.objects.count(),
        ImportedObject.objects.count(),
    )


@pytest.mark.django_db
def test_import_keeps_references_times_and_conversation_and_sends_nothing(cast):
    source = GeneratedSource(requests=3, comments=4, attachments=2)
    report = _run(cast, source)
    assert report.counts[("request", "created")] == 3
    ticket = Ticket.objects.get(reference="HELP-2")
    assert ticket.created_at == source.request(2).created_at
    assert ticket.status == Status.CLOSED
    assert ticket.resolution == "Conexiunea EDI a fost repornită."
    comments = list(ticket.comments.order_by("created_at"))
    assert [c.created_at for c in comments] == [c.created_at for c in source.request(2).comments]
    assert [c.is_public for c in comments] == [True, True, True, True]
    files = list(ticket.attachments.order_by("file_name"))
    assert [(f.file_name, f.size) for f in files] == [
        ("jurnal-2-0.txt", 20_000),
        ("jurnal-2-1.txt", 20_000),
    ]
    statuses = [
        e.payload.to_status
        for e in ticket.events.filter(kind="status_changed").order_by("created_at")
    ]
    assert statuses == [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    cast.help_desk.refresh_from_db()
    assert cast.help_desk.last_ticket_number == 3
    assert OutboundEmail.objects.count() == 0
    assert PendingNotification.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_reports_what_it_would_create(cast):
    before = _counts()
    report = _run(cast, GeneratedSource(requests=3, comments=4, attachments=2), dry_run=True)
    assert _counts() == before
    assert report.counts[("request", "created")] == 3
    assert report.counts[("comment", "created")] == 12
    assert report.counts[("attachment", "created")] == 6
    assert any("closed" in line for line in report.lines())


@pytest.mark.django_db
def test_importing_twice_changes_nothing(cast):
    source = GeneratedSource(requests=3, comments=4, attachments=2)
    _run(cast, source)
    before = _counts()
    report = _run(cast, source)
    assert _counts() == before
    assert report.counts[("request", "skipped")] == 3


@pytest.mark.django_db
def test_interrupted_import_continues_where_it_stopped(cast):
    with pytest.raises(ConnectionError):
        _run(cast, GeneratedSource(requests=5, comments=3, attachments=1, fail_after=2))
    assert Ticket.objects.count() == 2
    _run(cast, GeneratedSource(requests=5, comments=3, attachments=1))
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert Comment.objects.count() == 15
    assert Attachment.objects.count() == 5
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_the_import_command_reports_a_dry_run_then_imports(cast, capsys):
    from django.core.management import call_command

    call_command("import", "generated", "--desk", "help", "--requests", "2", "--dry-run")
    out = capsys.readouterr().out
    assert "Dry run: nothing was written." in out
    assert "request: created 2" in out
    assert "closed → Closed (closed)" in out
    assert not Ticket.objects.exists()

    call_command("import", "generated", "--desk", "HELP", "--requests", "2")
    captured = capsys.readouterr()
    assert "Import finished." in captured.out
    assert "Requests" in captured.err  # the progress bar
    assert sorted(Ticket.objects.values_list("reference", flat=True)) == ["HELP-1", "HELP-2"]


@pytest.mark.django_db
def test_the_import_command_refuses_a_bad_status_mapping_or_desk(cast):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="NAME=STATUS"):
        call_command("import", "generated", "--desk", "HELP", "--status", "Escalated")
    with pytest.raises(CommandError, match="no desk NOPE"):
        call_command("import", "generated", "--desk", "NOPE")
    with pytest.raises(CommandError, match="--api-key"):
        call_command("import", "freshdesk", "--desk", "HELP", "--url", "http://127.0.0.1:9")
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_sla_clocks_follow_the_imported_history_and_old_breaches_tell_no_one(cast):
    import datetime as dt

    from supportal.imports.records import Person, Request, StatusChange
    from supportal.imports.writer import ImportWriter
    from supportal.notifications.models import PendingSlaNotification
    from supportal.sla.models import Calendar, Clock, Goal, Policy, SlaEvent
    from supportal.sla.sweeper import sla_sweep_due

    calendar, _new = Calendar.objects.get_or_create(
        name="24/7", defaults={"time_zone": "Europe/Bucharest", "is_always_open": True}
    )
    Policy.objects.create(
        name="Help desk",
        desk=cast.help_desk,
        calendar=calendar,
        first_response_duration=dt.timedelta(minutes=30),
        resolution_duration=dt.timedelta(hours=2),
    )
    created = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.UTC)
    records = [
        Person(source_id="c", email="mihai.popescu@transilvania.ro", name="Mihai Popescu"),
        Person(source_id="a", email="ioana@suport-firma.ro", name="Ioana M", is_agent=True),
        # Taken after 20 minutes, resolved after 90: both goals met.
        Request(
            source_id="1",
            key="HELP",
            number=161,
            summary="Facturile nu ajung",
            details="",
            requester_id="c",
            assignee_id="a",
            created_at=created,
            updated_at=created + dt.timedelta(minutes=90),
            status="resolved",
            status_changes=(
                StatusChange("1a", "working", created + dt.timedelta(minutes=20), "a"),
                StatusChange("1b", "resolved", created + dt.timedelta(minutes=90), "a"),
            ),
        ),
        # Still open since 2024: both goals breached long ago.
        Request(
            source_id="2",
            key="HELP",
            number=162,
            summary="Export blocat",
            details="",
            requester_id="c",
            created_at=created,
            updated_at=created,
            status="open",
        ),
    ]
    writer = ImportWriter(source="test", desk=cast.help_desk, statuses=GeneratedSource().statuses)
    writer.write_all(records)

    met = Clock.objects.filter(ticket__reference="HELP-161")
    assert {c.goal: c.state for c in met} == {
        Goal.FIRST_RESPONSE: "met",
        Goal.RESOLUTION: "met",
    }
    breached = Clock.objects.filter(ticket__reference="HELP-162")
    assert all(c.next_due_at is None or c.next_due_at > dt.datetime.now(dt.UTC) for c in breached)
    assert SlaEvent.objects.filter(ticket__reference="HELP-162", kind="breach").count() == 2
    assert PendingSlaNotification.objects.count() == 0
    assert sla_sweep_due() == 0  # nothing left for the worker to tell anyone
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_administrators_see_what_was_imported_and_cannot_change_it(cast, client):
    _run(cast, GeneratedSource(requests=2, comments=1, attachments=0))
    client.force_login(cast.admin)
    page = client.get("/admin/imports/importedobject/?kind=request")
    assert page.status_code == 200
    assert "generated:local" in page.content.decode()
    row = ImportedObject.objects.filter(kind="request").first()
    change = client.post(f"/admin/imports/importedobject/{row.pk}/change/", {"source_id": "x"})
    assert change.status_code in (200, 403)
    row.refresh_from_db()
    assert row.source_id != "x"
