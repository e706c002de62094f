"""Creating a request, sixth round (docs/performance.md): the priority a browser sends costs
no statement of its own, a contract's change is seen at once, and a new request still wakes
the workers and writes every row it wrote before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.accounts.models import Contract
from supportal.core.jobs import WAKE_CHANNEL
from supportal.notifications.models import PendingNotification, TicketReplyAddress
from supportal.sla.models import Clock, ClockEntry, ClockState
from supportal.tickets import services
from supportal.tickets.models import EventKind, Ticket
from supportal.tickets.selectors import priority_is_allowed


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, cast, **extra: object):
    form = {
        "product": cast.product.pk,
        "request_type": cast.question.pk,
        "summary": "Parola blocată",
        "details": "Am parola blocata",
        **extra,
    }
    url = f"{reverse('portal:new')}?desk={cast.help_desk.key}"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, form)
    assert response.status_code == 302
    return len(queries)


def test_the_priority_a_browser_sends_costs_no_statement(client, cast):
    contract = Contract.objects.create(organization=cast.cristina_srl, name="Basic")
    contract.priorities.add(cast.normal)
    client.force_login(cast.cristina)
    _post(client, cast)  # what a session's first request loads once
    without = _post(client, cast)
    with_priority = _post(client, cast, priority=cast.normal.pk)
    assert with_priority == without
    assert Ticket.objects.filter(priority=cast.normal).count() == 1


def test_a_contract_changed_in_the_request_is_seen_by_the_check(cast):
    user = cast.cristina
    assert priority_is_allowed(user, product=cast.product, priority=cast.high)
    contract = Contract.objects.create(organization=cast.cristina_srl, name="Basic")
    contract.priorities.add(cast.normal)
    assert not priority_is_allowed(user, product=cast.product, priority=cast.high)
    assert priority_is_allowed(user, product=cast.product, priority=cast.normal)
    contract.priorities.add(cast.high)
    assert priority_is_allowed(user, product=cast.product, priority=cast.high)


def test_a_new_request_writes_its_clocks_notification_and_reply_address(cast):
    ticket = services.ticket_create(
        desk=cast.help_desk,
        requester=cast.cristina,
        actor=cast.cristina,
        summary="Parola blocată",
        request_type=cast.question,
    )
    created = ticket.events.get(kind=EventKind.CREATED)
    clocks = list(Clock.objects.filter(ticket=ticket).order_by("goal"))
    assert [clock.state for clock in clocks] == [ClockState.RUNNING, ClockState.RUNNING]
    entries = ClockEntry.objects.filter(clock__in=clocks)
    assert sorted((e.clock_id, e.kind, e.event_id) for e in entries) == sorted(
        (clock.pk, "start", created.pk) for clock in clocks
    )
    pending = PendingNotification.objects.get(ticket=ticket)
    assert pending.event_ids == [created.pk] and pending.actor_id == cast.cristina.pk
    assert TicketReplyAddress.objects.get(ticket=ticket).token
    assert Ticket.objects.get(pk=ticket.pk).reference == ticket.reference == "HELP-1"


@pytest.mark.django_db(transaction=True)
def test_a_new_request_wakes_the_idle_workers_on_commit(cast):
    if connection.vendor != "postgresql":
        return  # SQLite has no notification channel: workers poll
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {WAKE_CHANNEL}")
        services.ticket_create(
            desk=cast.help_desk,
            requester=cast.cristina,
            actor=cast.cristina,
            summary="Parola blocată",
            request_type=cast.question,
        )
        heard = [n.channel for n in listener.notifies(timeout=5, stop_after=1)]
    assert heard == [WAKE_CHANNEL]
