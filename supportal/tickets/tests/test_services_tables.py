"""The service layer's tables (each person of the cast, in each status) against the database,
on tickets driven into each status once per module.

The tables of ``test_services`` (see its docstring) drove a fresh ticket through the services for
every case: two to four service calls before the one the case is about, three quarters of its time
(docs/architecture.md, "Ninth round: the suite's own CPU"). Here the tickets are driven by the
same ``drive``, once per module, in the module's transaction (``ModuleRows``); each case gets its
own copy, read back as the database holds it, calls the service in its own savepoint, and leaves
nothing for the next. Listing or counting tests stay in ``test_services``: the module's tickets
would be in their way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from supportal.accounts.models import User
from supportal.conftest import Cast
from supportal.core.errors import NotFound, PermissionRefused, TransitionRefused
from supportal.tickets import selectors, services
from supportal.tickets.models import Event, EventKind, Ticket
from supportal.tickets.tests.test_services import (
    CLO,
    CUSTOMER_PEOPLE,
    FINAL,
    IP,
    OPEN,
    PEOPLE,
    PERSONS,
    RES,
    WFC,
    WFS,
    agent_two_make,
    drive,
    enter,
    last_status_event,
    state,
    status_of,
)
from supportal.tickets.tests.test_workflow_table import ALL_STATUSES
from supportal.tickets.workflow import Action, Role, Status


@dataclass
class Driven:
    """A second agent of HELP, and a ticket by Cristina in each status, assigned to agent_help:
    by key ``(status, False)``, and with her colleague as a named participant ``(status, True)``."""

    agent_two: User
    tickets: dict[tuple[Status, bool], Ticket]


def driven_build(cast: Cast) -> Driven:
    # The second agent first, as the cases of test_services had it before their ticket.
    agent_two = agent_two_make(cast)
    tickets = {}
    for status in ALL_STATUSES:
        tickets[status, False] = drive(cast, status)
        tickets[status, True] = drive(cast, status, participants=[cast.colleague])
    return Driven(agent_two=agent_two, tickets=tickets)


@pytest.fixture(scope="module")
def _module_driven(module_rows, _module_cast) -> None:
    module_rows.register("driven", lambda rows: driven_build(rows.get("cast")))


@pytest.fixture
def _driven(module_rows, _module_driven, cast) -> Driven:
    shared = module_rows.copy("driven")
    return shared if shared is not None else driven_build(cast)


@pytest.fixture
def agent_two(_driven) -> User:
    return _driven.agent_two


@pytest.fixture
def driven(_driven) -> Callable[..., Ticket]:
    """The ticket in ``status``, as ``drive(cast, status, **create)`` would leave it."""

    def ticket(status: Status, participants: list[User] | None = None) -> Ticket:
        return _driven.tickets[status, bool(participants)]

    return ticket


@pytest.mark.parametrize("name", list(PEOPLE))
def test_each_person_holds_the_workflow_roles_expected_of_them(cast, agent_two, driven, name):
    user, create = enter(cast, agent_two, name)
    ticket = driven(IP, **create)
    assert selectors.ticket_roles(user, ticket) == PEOPLE[name]


@pytest.mark.parametrize("name", PERSONS)
def test_a_person_sees_the_ticket_exactly_when_they_hold_a_role(cast, agent_two, driven, name):
    user, create = enter(cast, agent_two, name)
    ticket = driven(WFS, **create)
    if PEOPLE[name]:
        assert selectors.ticket_get_for_user(user, ticket.reference.lower()).pk == ticket.pk
    else:
        with pytest.raises(NotFound):
            selectors.ticket_get_for_user(user, ticket.reference)


def expected_public_comment(status: Status, roles: frozenset[Role]):
    if not roles - {Role.SYSTEM}:
        return NotFound
    if roles & {Role.AGENT, Role.TEAM_LEAD}:
        return TransitionRefused if status in FINAL else status
    if status in FINAL:
        return TransitionRefused
    if status in (WFC, RES):
        return WFS  # the desk's default: a customer's answer waits for support
    return status


@pytest.mark.parametrize("name", list(PEOPLE))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_a_public_comment_moves_the_ticket_as_the_table_says(cast, agent_two, driven, status, name):
    user, create = enter(cast, agent_two, name)
    ticket = driven(status, **create)
    expected = expected_public_comment(status, PEOPLE[name])
    if isinstance(expected, type):
        before = state(ticket)
        with pytest.raises(expected):
            services.ticket_comment_add(ticket=ticket, author=user, body="Any news?")
        assert state(ticket) == before
        return
    comment = services.ticket_comment_add(ticket=ticket, author=user, body="Any news?")
    assert comment.is_public
    assert status_of(ticket) == expected
    commented = Event.objects.filter(ticket=ticket, kind=EventKind.COMMENTED).first()
    assert commented.comment == comment
    assert commented.is_public
    if expected != status:
        event = last_status_event(ticket)
        assert (event.data["from_status"], event.data["to_status"]) == (status, expected)
        assert event.data["action"] == Action.CUSTOMER_REPLY
        assert event.actor == user


@pytest.mark.parametrize("status", FINAL)
@pytest.mark.parametrize("name", CUSTOMER_PEOPLE)
def test_customers_cannot_comment_on_closed_or_cancelled_requests(
    cast, agent_two, driven, name, status
):
    user, create = enter(cast, agent_two, name)
    ticket = driven(status, **create)
    with pytest.raises(TransitionRefused) as refusal:
        services.ticket_comment_add(ticket=ticket, author=user, body="It broke again.")
    assert "open a new request" in refusal.value.message


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("name", ["agent_of_the_desk", "assignee", "team_lead", "administrator"])
def test_agents_may_add_internal_notes_in_every_status(cast, agent_two, driven, name, status):
    user, _create = enter(cast, agent_two, name)
    ticket = driven(status)
    note = services.ticket_comment_add(
        ticket=ticket, author=user, body="Called her back.", is_public=False
    )
    assert not note.is_public
    assert status_of(ticket) == status
    event = Event.objects.filter(ticket=ticket).first()
    assert (event.kind, event.is_public, event.comment) == (EventKind.COMMENTED, False, note)


@pytest.mark.parametrize("name", CUSTOMER_PEOPLE)
def test_customers_cannot_write_internal_notes(cast, agent_two, driven, name):
    user, create = enter(cast, agent_two, name)
    ticket = driven(IP, **create)
    comment = services.ticket_comment_add(ticket=ticket, author=user, body="Hi", is_public=False)
    assert comment.is_public


def expected_feedback(status: Status, roles: frozenset[Role]):
    if not roles:
        return NotFound
    if Role.REQUESTER not in roles:
        return PermissionRefused
    if status not in (RES, CLO):
        return TransitionRefused
    return None


@pytest.mark.parametrize("name", PERSONS)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_only_the_requester_rates_a_resolved_or_closed_request(
    cast, agent_two, driven, status, name
):
    user, create = enter(cast, agent_two, name)
    ticket = driven(status, **create)
    expected = expected_feedback(status, PEOPLE[name])
    if expected is not None:
        before = state(ticket)
        with pytest.raises(expected):
            services.feedback_give(ticket=ticket, actor=user, rating=5)
        assert state(ticket) == before
        return
    feedback = services.feedback_give(ticket=ticket, actor=user, rating=4, message="Fast, thanks")
    assert (feedback.rating, feedback.given_by) == (4, user)
    assert Event.objects.filter(ticket=ticket).first().kind == EventKind.FEEDBACK_GIVEN


ASSIGN_PEOPLE = [
    "requester",
    "colleague_who_may_see",
    "agent_of_the_desk",
    "assignee",
    "team_lead",
    "administrator",
    "agent_of_another_desk",
    "outsider",
]


def assign_target(cast: Cast, agent_two: User, user: User, whom: str) -> User | None:
    if whom == "themself":
        return user
    if whom == "nobody":
        return None
    return cast.lead_help if user != cast.lead_help else agent_two


def expected_assignment(status: Status, roles: frozenset[Role], whom: str):
    if not roles:
        return NotFound
    if status not in OPEN:
        return TransitionRefused
    if Role.TEAM_LEAD in roles:
        return None
    if whom == "themself" and Role.AGENT in roles:
        return None
    return PermissionRefused


@pytest.mark.parametrize("whom", ["themself", "another_agent", "nobody"])
@pytest.mark.parametrize("name", ASSIGN_PEOPLE)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_team_leads_assign_anyone_agents_only_themselves_customers_never(
    cast, agent_two, driven, status, name, whom
):
    user, create = enter(cast, agent_two, name)
    ticket = driven(status, **create)
    assignee = assign_target(cast, agent_two, user, whom)
    expected = expected_assignment(status, PEOPLE[name], whom)
    before = state(ticket)
    if expected is not None:
        with pytest.raises(expected):
            services.ticket_assign(ticket=ticket, actor=user, assignee=assignee)
        assert state(ticket) == before
        return
    services.ticket_assign(ticket=ticket, actor=user, assignee=assignee)
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.assignee == assignee
    assert after.status == status
    if assignee != cast.agent_help:  # agent_help already had it: nothing to record
        event = Event.objects.filter(ticket=ticket).first()
        assert event.kind == EventKind.ASSIGNED
        assert event.data["assignee_id"] == getattr(assignee, "pk", None)
        assert event.data["previous_assignee_id"] == cast.agent_help.pk
    else:
        assert state(ticket) == before
