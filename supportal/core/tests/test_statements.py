"""Statements compiled once per process and run again with new values (core/statements.py,
docs/performance.md "Seventh round"): the same rows as the ORM's own statement, and a build
that writes a value into the statement's text is never kept."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.core.statements import KeptStatement
from supportal.tickets.models import Ticket


def _by_requester(shape: str, values) -> object:
    tickets = Ticket.objects.filter(requester_id=values["user_id"]).order_by("pk")
    if shape == "with desk":
        tickets = tickets.select_related("desk")
    return tickets


def test_a_kept_statement_reads_each_value_s_rows(cast):
    mine = [cast.ticket(), cast.ticket()]
    theirs = cast.ticket(requester=cast.other_customer)
    kept = KeptStatement(_by_requester)

    assert kept.rows("with desk", {"user_id": cast.cristina.pk}) == mine
    with CaptureQueriesContext(connection) as queries:
        rows = kept.rows("with desk", {"user_id": cast.other_customer.pk})
    assert rows == [theirs]
    assert rows[0].desk == cast.help_desk  # joined, not read again
    assert len(queries) == 1
    assert kept.rows("with desk", {"user_id": cast.outsider.pk}) == []
    assert kept.rows("plain", {"user_id": cast.cristina.pk}) == mine


def test_a_value_written_into_the_statement_is_not_kept(cast):
    mine = cast.ticket()
    theirs = cast.ticket(requester=cast.other_customer)

    def inlined(shape: str, values) -> object:
        # The value is written into the text (an int made safe by int()).
        return Ticket.objects.filter(requester_id=values["user_id"]).extra(  # noqa: S610
            where=[f"tickets_ticket.requester_id = {int(values['user_id'])}"]
        )

    kept = KeptStatement(inlined)
    assert kept.rows("s", {"user_id": cast.cristina.pk}) == [mine]
    assert kept.rows("s", {"user_id": cast.other_customer.pk}) == [theirs]
    assert list(kept._kept.values()) == [None]  # built and compiled for every request


def test_a_moment_is_sent_as_the_database_takes_it(cast):
    # A moment is a parameter: on SQLite its text in the connection's zone, on PostgreSQL the
    # object (docs/performance.md, "Eighth round: the agent queue").
    older, newer = cast.ticket(), cast.ticket()
    Ticket.objects.filter(pk=older.pk).update(updated_at=newer.updated_at - dt.timedelta(hours=2))
    between = newer.updated_at - dt.timedelta(hours=1)

    def updated_since(shape: str, values) -> object:
        return Ticket.objects.filter(updated_at__gte=values["since"]).order_by("pk")

    kept = KeptStatement(updated_since)
    assert kept.rows("s", {"since": between}) == [newer]
    assert kept.rows("s", {"since": between - dt.timedelta(hours=2)}) == [older, newer]
    assert None not in kept._kept.values()  # kept: compiled once
    sql, params = kept.sql("s", {"since": between})
    assert (sql, list(params)) == _compiled(updated_since("s", {"since": between}))


def _compiled(queryset) -> tuple[str, list[object]]:
    sql, params = queryset.query.get_compiler(using="default").as_sql()
    return sql, list(params)


def test_a_kept_statement_converts_its_columns_on_every_run(cast):
    # Each column's converters are looked up once (docs/performance.md, "Tenth round: the
    # request page and the ticket page"): the values read on later runs are converted alike.
    first, second = cast.ticket(), cast.ticket(requester=cast.other_customer)
    Ticket.objects.filter(pk=second.pk).update(custom_fields={"serial": "X-1"})
    kept = KeptStatement(_by_requester)
    for ticket, user in ((first, cast.cristina), (second, cast.other_customer)) * 2:
        (row,) = kept.rows("with desk", {"user_id": user.pk})
        ticket.refresh_from_db()
        assert row.custom_fields == ticket.custom_fields
        assert row.created_at == ticket.created_at and row.created_at.tzinfo is not None
        assert row.desk.created_at == ticket.desk.created_at
