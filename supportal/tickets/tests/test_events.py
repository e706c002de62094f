"""Ticket events carry typed payloads, and one ordered list of listeners hears them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from supportal.tickets import events, services
from supportal.tickets.events import EventKind, StatusChanged, payload_from
from supportal.tickets.models import Event, Ticket
from supportal.tickets.workflow import Action, Status


def test_every_event_kind_has_one_payload_class():
    assert set(events.PAYLOADS) == set(EventKind.values)
    assert all(cls.kind == kind for kind, cls in events.PAYLOADS.items())


def test_a_stored_payload_reads_back_as_it_was_written(cast):
    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Gata."
    )
    stored = Event.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).get()
    assert stored.payload == StatusChanged(
        action=Action.RESOLVE,
        from_status=Status.WAITING_FOR_SUPPORT,
        to_status=Status.RESOLVED,
        resolution="Gata.",
    )


def test_keys_a_payload_does_not_know_are_left_out():
    payload = payload_from(EventKind.ASSIGNED, {"assignee_id": 7, "retired_key": 1})
    assert payload == events.Assigned(assignee_id=7)


def test_the_listeners_run_in_the_listed_order_sla_first():
    assert events.listeners.order == ("sla", "notifications", "webhooks", "live")


def test_a_failing_listener_rolls_the_action_back(cast, monkeypatch):
    ticket = cast.ticket()

    def broken(event):
        raise RuntimeError("listener down")

    monkeypatch.setitem(events.listeners._listeners, "notifications", broken)
    with pytest.raises(RuntimeError):
        services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.WAITING_FOR_SUPPORT
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED).exists()


@pytest.mark.parametrize(
    ("app", "forbidden"),
    [
        ("tickets", ("supportal.sla", "supportal.notifications")),
        ("sla", ("supportal.notifications",)),
    ],
)
def test_an_app_does_not_import_its_listeners(app, forbidden):
    root = Path(__file__).resolve().parents[2] / app
    found = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(forbidden):
                found.append(f"{path.name}: {node.module}")
    assert found == []
