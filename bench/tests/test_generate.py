"""The generator writes what the services would have written: replaying its events through the
SLA engine and rebuilding its search documents gives the very same rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from bench.generate import (
    BENCH_PASSWORD,
    COLUMNS,
    LOGIN_AGENT,
    LOGIN_COMPANY_ADMIN,
    LOGIN_CUSTOMER,
    SIZES,
    generate,
)
from supportal.accounts.models import User
from supportal.desks.models import Desk
from supportal.search.index import search_index_rebuild
from supportal.search.models import SearchDocument
from supportal.sla.models import Clock, ClockEntry
from supportal.sla.services import tickets_backfill
from supportal.tickets.models import Comment, Event, Ticket
from supportal.tickets.workflow import OPEN_STATUSES, Status

# A short history, so that recently resolved (not yet closed) requests are among 300.
SPEC = replace(
    SIZES["10k"], tickets=300, companies=8, customers=60, agents=5, chunk=120, years=0.25
)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)

# Every column the generator writes for a clock but its id: the engine must derive the same.
CLOCK_FIELDS = [name for name in COLUMNS["sla_clock"] if name != "id"]


@pytest.fixture
def generated(transactional_db):
    world = generate(SPEC, workers=2, now=NOW, log=lambda line: None)
    return world


def _clocks() -> list[tuple]:
    clocks = Clock.objects.order_by("ticket_id", "goal").values_list(*CLOCK_FIELDS)
    return [tuple(clock) for clock in clocks]


def _entries() -> list[tuple]:
    return list(
        ClockEntry.objects.order_by("clock__ticket_id", "clock__goal", "at", "pk").values_list(
            "clock__ticket_id", "clock__goal", "kind", "reason", "event_id", "data", "at"
        )
    )


def test_clocks_are_what_the_sla_engine_derives_from_the_events(generated):
    generated_clocks, generated_entries = _clocks(), _entries()
    assert len(generated_clocks) == 2 * SPEC.tickets
    # Every state is there: running, paused, met, stopped, and breaches.
    states = {clock[5] for clock in generated_clocks}
    assert states == {"running", "paused", "met", "stopped"}
    assert any(clock[13] for clock in generated_clocks)

    Clock.objects.all().delete()
    assert tickets_backfill(now=NOW) == SPEC.tickets

    replayed = _clocks()
    differences = [
        (CLOCK_FIELDS[i], mine[i], theirs[i], mine[0], mine[1])
        for mine, theirs in zip(generated_clocks, replayed, strict=True)
        for i in range(len(CLOCK_FIELDS))
        if mine[i] != theirs[i]
    ]
    assert differences[:5] == []
    assert _entries() == generated_entries


def test_the_history_is_varied_and_consistent_and_indexed(generated):
    documents = dict(SearchDocument.objects.values_list("ticket_id", "public_text"))
    internal = dict(SearchDocument.objects.values_list("ticket_id", "internal_text"))
    assert len(documents) == SPEC.tickets
    assert search_index_rebuild() == SPEC.tickets
    assert dict(SearchDocument.objects.values_list("ticket_id", "public_text")) == documents
    assert dict(SearchDocument.objects.values_list("ticket_id", "internal_text")) == internal

    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    open_share = Ticket.objects.filter(status__in=OPEN_STATUSES).count() / SPEC.tickets
    assert 0.1 < open_share < 0.4
    assert Comment.objects.filter(is_public=False).exists()
    # Numbers are gapless per desk and the desk knows its last one.
    for desk in Desk.objects.all():
        numbers = sorted(desk.tickets.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        assert desk.last_ticket_number == len(numbers)
    # Every comment has its event; every ticket starts with "created".
    assert Event.objects.filter(kind="commented").count() == Comment.objects.count()
    assert Event.objects.filter(kind="created").count() == SPEC.tickets
    # A new ticket gets the next free ids and number through the real service.
    customer = User.objects.get(email=LOGIN_CUSTOMER)
    from supportal.tickets.services import ticket_comment_add, ticket_create

    desk = Desk.objects.get(key="HELP")
    ticket = ticket_create(desk=desk, requester=customer, actor=customer, summary="After the load")
    assert ticket.number == desk.last_ticket_number + 1
    ticket_comment_add(ticket=ticket, author=customer, body="One more thing")


def test_the_bench_log_ins_work_and_see_their_requests(generated):
    customer = Client()
    assert customer.login(email=LOGIN_CUSTOMER, password=BENCH_PASSWORD)
    own = Ticket.objects.filter(requester__email=LOGIN_CUSTOMER)
    assert own.count() == 36
    response = customer.get(reverse("portal:request", args=[own.first().reference]))
    assert response.status_code == 200
    admin = User.objects.get(email=LOGIN_COMPANY_ADMIN)
    biggest = max(
        {t.organization_id for t in Ticket.objects.exclude(organization=None)},
        key=lambda org: Ticket.objects.filter(organization_id=org).count(),
    )
    assert admin.organization_id == biggest and admin.is_customer_admin
    agent = Client()
    assert agent.login(email=LOGIN_AGENT, password=BENCH_PASSWORD)
