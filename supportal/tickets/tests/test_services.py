"""The service layer against the database: each action, in each status, by each person of the cast.

Tickets are brought into a status only through the services (``drive``). An allowed move changes
the status and writes a STATUS_CHANGED event with from/to; a refused one raises the right
DomainError and changes nothing. Who may do what comes from the expected table of
``test_workflow_table`` (written from the issue), not from ``workflow.TRANSITIONS``. The tables
of each person in each status (comments, ratings, assignment, roles) are in
``test_services_tables``, on tickets driven once per module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supportal.accounts.models import OrganizationProduct, User
from supportal.conftest import Cast
from supportal.core.errors import (
    InvalidInput,
    NotFound,
    PermissionRefused,
    TransitionRefused,
)
from supportal.desks.models import CustomerReplyStatus, DeskMembership
from supportal.tickets import selectors, services
from supportal.tickets.models import (
    Attachment,
    Comment,
    Event,
    EventKind,
    Feedback,
    QuoteState,
    Ticket,
)
from supportal.tickets.tests.test_workflow_table import (
    ALL_STATUSES,
    UNCHANGED,
    expected_allowed,
    expected_target,
)
from supportal.tickets.workflow import Action, Role, Status, WaitingReason

WFS = Status.WAITING_FOR_SUPPORT
IP = Status.IN_PROGRESS
WFC = Status.WAITING_FOR_CUSTOMER
W3P = Status.WAITING_FOR_THIRD_PARTY
RES = Status.RESOLVED
CLO = Status.CLOSED
CAN = Status.CANCELLED
OPEN = (WFS, IP, WFC, W3P)
FINAL = (CLO, CAN)

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def agent_two_make(cast: Cast) -> User:
    """A second agent of HELP: an agent of the desk who is not the assignee."""
    user = User.objects.create_user(
        "mihai.stan@support.test", password="parola123", first_name="Mihai", is_agent=True
    )
    DeskMembership.objects.create(desk=cast.help_desk, user=user)
    return user


@pytest.fixture
def agent_two(cast: Cast) -> User:
    return agent_two_make(cast)


# ---- driving a fresh ticket into a status -------------------------------------------------------


def drive(
    cast: Cast, status: Status, *, assigned: bool = True, now: dt.datetime | None = None, **create
) -> Ticket:
    """A new HELP ticket by Cristina brought to ``status`` through the services.

    Assigned to agent_help, unless ``assigned=False`` (open statuses only).
    """
    ticket = cast.ticket(now=now, **create)
    agent = cast.agent_help

    def move(action: Action, actor: User | None = agent, **inputs) -> Ticket:
        return services.ticket_transition(
            ticket=ticket, actor=actor, action=action, now=now, **inputs
        )

    if status == WFS:
        if assigned:
            ticket = services.ticket_assign(
                ticket=ticket, actor=cast.lead_help, assignee=agent, now=now
            )
        return ticket
    ticket = move(Action.TAKE)
    if status == WFC:
        ticket = move(
            Action.REQUEST_INFO, comment="Which browser?", reason=WaitingReason.INFORMATION_NEEDED
        )
    elif status == W3P:
        ticket = move(Action.WAIT_FOR_THIRD_PARTY, third_party="Orange Romania")
    elif status in (RES, CLO):
        ticket = move(Action.RESOLVE, resolution="The password was reset.")
        if status == CLO:
            ticket = move(Action.CLOSE)
    elif status == CAN:
        ticket = move(Action.CANCEL, actor=ticket.requester)
    if not assigned and status in OPEN:
        ticket = services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=None, now=now)
    assert Ticket.objects.get(pk=ticket.pk).status == status
    return ticket


def state(ticket: Ticket) -> tuple:
    """What a refused call must leave as it was."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.status,
        fresh.assignee_id,
        fresh.resolution,
        fresh.waiting_reason,
        fresh.waiting_on,
        fresh.updated_at,
        fresh.events.count(),
        fresh.comments.count(),
    )


def status_of(ticket: Ticket) -> Status:
    return Status(Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk))


def last_status_event(ticket: Ticket) -> Event:
    event = Event.objects.filter(ticket_id=ticket.pk, kind=EventKind.STATUS_CHANGED).first()
    assert event is not None, f"{ticket.reference} has no status change"
    return event


# ---- the people of the cast, relative to a ticket by Cristina on HELP ----------------------------

# name -> the workflow roles they hold on such a ticket (assigned to agent_help).
PEOPLE: dict[str, frozenset[Role]] = {
    "requester": frozenset({Role.REQUESTER}),
    "colleague_who_may_see": frozenset({Role.PARTICIPANT}),
    "colleague_who_may_not_see": frozenset(),
    "named_participant": frozenset({Role.PARTICIPANT}),
    "customer_admin": frozenset({Role.PARTICIPANT}),
    "agent_of_the_desk": frozenset({Role.AGENT}),
    "assignee": frozenset({Role.AGENT, Role.ASSIGNEE}),
    "team_lead": frozenset({Role.AGENT, Role.TEAM_LEAD}),
    "agent_of_another_desk": frozenset(),
    "administrator": frozenset({Role.AGENT, Role.TEAM_LEAD}),
    "other_company": frozenset(),
    "outsider": frozenset(),
    "system": frozenset({Role.SYSTEM}),
}
PERSONS = [name for name in PEOPLE if name != "system"]
CUSTOMER_PEOPLE = [
    "requester",
    "colleague_who_may_see",
    "named_participant",
    "customer_admin",
]


def enter(cast: Cast, agent_two: User, name: str) -> tuple[User | None, dict]:
    """The person called ``name``, and what the ticket's creation needs for them to be it."""
    if name == "colleague_who_may_see":
        cast.cristina_srl.shares_requests = True
        cast.cristina_srl.save()
    if name == "named_participant":
        return cast.colleague, {"participants": [cast.colleague]}
    users = {
        "requester": cast.cristina,
        "colleague_who_may_see": cast.colleague,
        "colleague_who_may_not_see": cast.colleague,
        "customer_admin": cast.cristina_admin,
        "agent_of_the_desk": agent_two,
        "assignee": cast.agent_help,
        "team_lead": cast.lead_help,
        "agent_of_another_desk": cast.agent_dev,
        "administrator": cast.admin,
        "other_company": cast.other_customer,
        "outsider": cast.outsider,
        "system": None,
    }
    return users[name], {}


# ---- every action × every status × every person -------------------------------------------------

INPUTS: dict[Action, dict[str, str]] = {
    Action.REQUEST_INFO: {"comment": "Please test again.", "reason": WaitingReason.PLEASE_TEST},
    Action.WAIT_FOR_THIRD_PARTY: {"third_party": "Orange Romania", "comment": "Asked Orange."},
    Action.RESOLVE: {"resolution": "Unlocked the account."},
    Action.CUSTOMER_RESOLVE: {"comment": "It works now, thank you."},
}
# Customers answer by commenting (see the comment tests below), not through ticket_transition.
TRANSITION_ACTIONS = [action for action in Action if action != Action.CUSTOMER_REPLY]


def expected_transition(action: Action, status: Status, roles: frozenset[Role]):
    """The status a move leads to, or the DomainError it must raise."""
    if not roles:
        return NotFound  # what you may not see does not exist for you
    target = expected_target(action, status)
    if target is None or target == UNCHANGED:
        return TransitionRefused
    if not expected_allowed(action, status, roles):
        return PermissionRefused
    return target


def _first_allowed_cell_per_action() -> list[tuple[Status, Action, str]]:
    """For each action, the first (status, action, person) the table lets through."""
    firsts: dict[Action, tuple[Status, Action, str]] = {}
    for action in TRANSITION_ACTIONS:
        for status in ALL_STATUSES:
            for name in PEOPLE:
                if isinstance(expected_transition(action, status, PEOPLE[name]), Status):
                    firsts.setdefault(action, (status, action, name))
    return list(firsts.values())


def _cell_id(cell: tuple) -> str:
    status, action, name = cell
    return f"{action}-from-{status}-by-{name}"


# The table itself is tested cell by cell without a database (test_workflow_table), and who
# holds which role above (test_each_person_holds_the_workflow_roles_expected_of_them). Against
# the database, ticket_transition is checked once per action where the table allows it (each
# action's own effects), and once per kind of refusal: the status has no such move, the person
# lacks the role, the person may not see the ticket.
ALLOWED_CELLS = _first_allowed_cell_per_action()
REFUSED_CELLS = {
    "no_such_move": (CLO, Action.RESOLVE, "assignee", TransitionRefused),
    "missing_role": (IP, Action.RESOLVE, "requester", PermissionRefused),
    "may_not_see": (IP, Action.CANCEL, "other_company", NotFound),
}


def test_every_action_is_tried_against_the_database_where_the_table_allows_it():
    assert [action for _, action, _ in ALLOWED_CELLS] == TRANSITION_ACTIONS


@pytest.mark.parametrize(
    ("status", "action", "name"), ALLOWED_CELLS, ids=map(_cell_id, ALLOWED_CELLS)
)
def test_ticket_transition_moves_the_ticket_where_the_table_says(
    cast, agent_two, status, action, name
):
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, status, **create)
    expected = expected_transition(action, status, PEOPLE[name])
    events_before = Event.objects.filter(ticket=ticket).count()
    services.ticket_transition(ticket=ticket, actor=user, action=action, **INPUTS.get(action, {}))
    assert status_of(ticket) == expected
    event = last_status_event(ticket)
    assert event.data["from_status"] == status
    assert event.data["to_status"] == expected
    assert event.data["action"] == action
    assert event.actor == user
    assert Event.objects.filter(ticket=ticket).count() > events_before


@pytest.mark.parametrize(
    ("status", "action", "name", "refusal"), REFUSED_CELLS.values(), ids=REFUSED_CELLS
)
def test_ticket_transition_refuses_what_the_table_refuses_and_changes_nothing(
    cast, agent_two, status, action, name, refusal
):
    assert expected_transition(action, status, PEOPLE[name]) is refusal
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, status, **create)
    before = state(ticket)
    with pytest.raises(refusal) as refused:
        services.ticket_transition(
            ticket=ticket, actor=user, action=action, **INPUTS.get(action, {})
        )
    assert refused.value.message
    assert state(ticket) == before


def test_taking_a_ticket_makes_the_agent_its_assignee(cast, agent_two):
    ticket = drive(cast, WFS)
    ticket = services.ticket_transition(ticket=ticket, actor=agent_two, action=Action.TAKE)
    assert ticket.assignee == agent_two
    assigned = Event.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).first()
    assert assigned.data["assignee_id"] == agent_two.pk


# ---- what each move needs ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [WFS, IP, W3P])
def test_request_info_needs_a_public_comment(cast, status):
    ticket = drive(cast, status)
    before = state(ticket)
    with pytest.raises(InvalidInput) as refusal:
        services.ticket_transition(
            ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="  "
        )
    assert refusal.value.field == "comment"
    assert state(ticket) == before


def test_request_info_refuses_an_unknown_reason(cast):
    ticket = drive(cast, IP)
    before = state(ticket)
    with pytest.raises(InvalidInput) as refusal:
        services.ticket_transition(
            ticket=ticket,
            actor=cast.agent_help,
            action=Action.REQUEST_INFO,
            comment="Send logs.",
            reason="because",
        )
    assert refusal.value.field == "reason"
    assert state(ticket) == before


@pytest.mark.parametrize("reason", list(WaitingReason))
def test_request_info_sends_a_public_comment_with_its_reason(cast, reason):
    ticket = drive(cast, IP)
    ticket = services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Please try logging in again.",
        reason=reason,
    )
    assert ticket.status == WFC
    assert ticket.waiting_reason == reason
    comment = Comment.objects.get(ticket=ticket, body="Please try logging in again.")
    assert comment.is_public
    assert comment in selectors.comment_list_for_user(cast.cristina, ticket)
    event = last_status_event(ticket)
    assert event.data["reason"] == reason
    assert event.comment == comment


@pytest.mark.parametrize("status", [WFS, IP, WFC])
def test_waiting_for_a_third_party_needs_a_note_saying_whom(cast, status):
    ticket = drive(cast, status)
    before = state(ticket)
    with pytest.raises(InvalidInput) as refusal:
        services.ticket_transition(
            ticket=ticket, actor=cast.agent_help, action=Action.WAIT_FOR_THIRD_PARTY
        )
    assert refusal.value.field == "third_party"
    assert state(ticket) == before


def test_waiting_for_a_third_party_keeps_its_comment_internal(cast):
    ticket = drive(cast, IP)
    ticket = services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.WAIT_FOR_THIRD_PARTY,
        third_party="Orange Romania",
        comment="Ticket 4411 opened with Orange.",
    )
    assert ticket.status == W3P
    assert ticket.waiting_on == "Orange Romania"
    note = Comment.objects.get(ticket=ticket)
    assert not note.is_public
    assert note not in selectors.comment_list_for_user(cast.cristina, ticket)
    assert note in selectors.comment_list_for_user(cast.agent_help, ticket)
    customer_events = selectors.event_list_for_user(cast.cristina, ticket)
    assert all(e.comment is None or e.comment.is_public for e in customer_events)


def test_the_third_partys_answer_resumes_work_and_forgets_whom_it_waited_for(cast):
    ticket = drive(cast, W3P)
    ticket = services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.THIRD_PARTY_ANSWERED
    )
    assert ticket.status == IP
    assert ticket.waiting_on == ""


@pytest.mark.parametrize("status", OPEN)
def test_resolving_needs_a_resolution(cast, status):
    ticket = drive(cast, status)
    before = state(ticket)
    with pytest.raises(InvalidInput) as refusal:
        services.ticket_transition(
            ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution=" "
        )
    assert refusal.value.field == "resolution"
    assert state(ticket) == before


def test_resolving_records_the_resolution_and_when_it_closes(cast):
    ticket = drive(cast, IP, now=T0)
    ticket = services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.RESOLVE,
        resolution="Unlocked the account.",
        now=T0,
    )
    assert ticket.resolution == "Unlocked the account."
    assert ticket.resolved_at == T0
    assert ticket.auto_close_at == T0 + dt.timedelta(days=7)


def test_the_requester_may_resolve_with_an_optional_note(cast):
    ticket = drive(cast, WFC)
    ticket = services.ticket_transition(
        ticket=ticket, actor=cast.cristina, action=Action.CUSTOMER_RESOLVE
    )
    assert ticket.status == RES
    assert ticket.auto_close_at is not None


# ---- comments ------------------------------------------------------------------------------------


def test_an_empty_comment_is_refused(cast):
    ticket = drive(cast, IP)
    before = state(ticket)
    with pytest.raises(InvalidInput):
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="   ")
    assert state(ticket) == before


@pytest.mark.parametrize(
    ("setting", "assigned", "expected"),
    [
        (CustomerReplyStatus.WAITING_FOR_SUPPORT, True, WFS),
        (CustomerReplyStatus.WAITING_FOR_SUPPORT, False, WFS),
        (CustomerReplyStatus.IN_PROGRESS_IF_ASSIGNED, True, IP),
        (CustomerReplyStatus.IN_PROGRESS_IF_ASSIGNED, False, WFS),
    ],
)
def test_a_customers_answer_to_a_request_for_information_follows_the_desk_setting(
    cast, setting, assigned, expected
):
    cast.help_desk.customer_reply_status = setting
    cast.help_desk.save()
    ticket = drive(cast, WFC, assigned=assigned)
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Firefox 128.")
    assert status_of(ticket) == expected
    assert Ticket.objects.get(pk=ticket.pk).waiting_reason == ""


@pytest.mark.parametrize("setting", list(CustomerReplyStatus))
@pytest.mark.parametrize("name", CUSTOMER_PEOPLE)
def test_a_customers_comment_on_a_resolved_request_reopens_it(cast, agent_two, name, setting):
    cast.help_desk.customer_reply_status = setting
    cast.help_desk.save()
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, RES, **create)
    services.ticket_comment_add(ticket=ticket, author=user, body="Still locked.")
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.status == WFS
    assert (reopened.resolution, reopened.resolved_at, reopened.auto_close_at) == ("", None, None)
    assert services.tickets_close_due(now=T0 + dt.timedelta(days=3650)) == 0


# ---- closing -------------------------------------------------------------------------------------


def test_the_system_closes_a_resolved_request_when_its_time_comes(cast):
    ticket = drive(cast, RES, now=T0)
    due_at = T0 + dt.timedelta(days=7)
    assert services.tickets_close_due(now=due_at - dt.timedelta(seconds=1)) == 0
    assert status_of(ticket) == RES
    assert services.tickets_close_due(now=due_at) == 1
    closed = Ticket.objects.get(pk=ticket.pk)
    assert (closed.status, closed.closed_at) == (CLO, due_at)
    event = last_status_event(ticket)
    assert (event.data["from_status"], event.data["to_status"], event.actor) == (RES, CLO, None)
    assert services.tickets_close_due(now=due_at + dt.timedelta(days=1)) == 0


@pytest.mark.parametrize("status", [WFS, IP, WFC, W3P, CLO, CAN])
def test_the_system_closes_nothing_but_resolved_requests(cast, status):
    ticket = drive(cast, status, now=T0)
    assert services.tickets_close_due(now=T0 + dt.timedelta(days=3650)) == 0
    assert status_of(ticket) == status


def test_the_auto_close_delay_is_the_desks(cast):
    cast.help_desk.auto_close_days = 2
    cast.help_desk.save()
    ticket = drive(cast, RES, now=T0)
    assert services.tickets_close_due(now=T0 + dt.timedelta(days=2)) == 1
    assert status_of(ticket) == CLO


def test_a_desk_with_no_delay_closes_a_request_as_soon_as_it_is_resolved(cast):
    cast.help_desk.auto_close_days = 0
    cast.help_desk.save()
    ticket = drive(cast, IP, now=T0)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Done.", now=T0
    )
    assert status_of(ticket) == CLO
    moves = [
        (e.data["from_status"], e.data["to_status"])
        for e in Event.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED)[:2]
    ]
    assert moves == [(RES, CLO), (IP, RES)]


# ---- feedback ------------------------------------------------------------------------------------


def test_feedback_is_given_once(cast):
    ticket = drive(cast, RES)
    services.feedback_give(ticket=ticket, actor=cast.cristina, rating=5)
    before = state(ticket)
    with pytest.raises(TransitionRefused):
        services.feedback_give(ticket=ticket, actor=cast.cristina, rating=1)
    assert state(ticket) == before
    assert Feedback.objects.get(ticket=ticket).rating == 5


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None])
def test_feedback_is_a_rating_from_one_to_five(cast, rating):
    ticket = drive(cast, CLO)
    with pytest.raises(InvalidInput):
        services.feedback_give(ticket=ticket, actor=cast.cristina, rating=rating)
    assert not Feedback.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_every_rating_from_one_to_five_is_accepted(cast, rating):
    ticket = drive(cast, RES)
    assert (
        services.feedback_give(ticket=ticket, actor=cast.cristina, rating=rating).rating == rating
    )


# ---- assignment ----------------------------------------------------------------------------------


@pytest.mark.parametrize("whom", ["agent_dev", "cristina", "outsider"])
def test_only_an_agent_of_the_desk_can_be_the_assignee(cast, whom):
    ticket = drive(cast, IP)
    before = state(ticket)
    with pytest.raises(InvalidInput):
        services.ticket_assign(ticket=ticket, actor=cast.lead_help, assignee=getattr(cast, whom))
    assert state(ticket) == before


# ---- quotes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_agents_propose_quotes_on_open_requests(cast, status):
    ticket = drive(cast, status)
    if status not in OPEN:
        before = state(ticket)
        with pytest.raises(TransitionRefused):
            services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("100"))
        assert state(ticket) == before
        return
    quote = services.quote_propose(
        ticket=ticket,
        actor=cast.agent_help,
        price=Decimal("1250.50"),
        currency="eur",
        deadline=dt.date(2025, 4, 1),
    )
    assert (quote.state, quote.currency) == (QuoteState.PROPOSED, "EUR")
    event = Event.objects.filter(ticket=ticket).first()
    assert (event.kind, event.data["price"]) == (EventKind.QUOTE_PROPOSED, "1250.50")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("requester", PermissionRefused),
        ("customer_admin", PermissionRefused),
        ("agent_of_another_desk", NotFound),
        ("outsider", NotFound),
    ],
)
def test_only_the_desks_agents_propose_quotes(cast, agent_two, name, error):
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, IP, **create)
    before = state(ticket)
    with pytest.raises(error):
        services.quote_propose(ticket=ticket, actor=user, price=Decimal("10"))
    assert state(ticket) == before


def test_a_quote_cannot_have_a_negative_price(cast):
    ticket = drive(cast, IP)
    with pytest.raises(InvalidInput):
        services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("-1"))


def test_a_new_quote_withdraws_the_unanswered_one(cast):
    ticket = drive(cast, IP)
    first = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("10"))
    services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("20"))
    first.refresh_from_db()
    assert first.state == QuoteState.WITHDRAWN
    with pytest.raises(TransitionRefused):
        services.quote_answer(quote=first, actor=cast.cristina, is_accepted=True)


@pytest.mark.parametrize("is_accepted", [True, False])
def test_the_requester_answers_a_quote_once(cast, is_accepted):
    ticket = drive(cast, IP)
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("99"))
    quote = services.quote_answer(quote=quote, actor=cast.cristina, is_accepted=is_accepted)
    assert quote.state == (QuoteState.ACCEPTED if is_accepted else QuoteState.DECLINED)
    assert quote.answered_by == cast.cristina
    event = Event.objects.filter(ticket=ticket).first()
    assert (event.kind, event.data["state"]) == (EventKind.QUOTE_ANSWERED, quote.state)
    with pytest.raises(TransitionRefused):
        services.quote_answer(quote=quote, actor=cast.cristina, is_accepted=not is_accepted)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("named_participant", PermissionRefused),
        ("customer_admin", PermissionRefused),
        ("assignee", PermissionRefused),
        ("team_lead", PermissionRefused),
        ("other_company", NotFound),
    ],
)
def test_only_the_requester_answers_a_quote(cast, agent_two, name, error):
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, IP, **create)
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("99"))
    before = state(ticket)
    with pytest.raises(error):
        services.quote_answer(quote=quote, actor=user, is_accepted=True)
    assert state(ticket) == before
    quote.refresh_from_db()
    assert quote.state == QuoteState.PROPOSED


# ---- participants --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["requester", "assignee", "customer_admin"])
def test_a_colleague_of_the_same_company_can_be_made_a_participant(cast, agent_two, name):
    user, _create = enter(cast, agent_two, name)
    ticket = drive(cast, IP)
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(cast.colleague, ticket.reference)
    services.participant_add(ticket=ticket, actor=user, person=cast.colleague)
    assert selectors.ticket_get_for_user(cast.colleague, ticket.reference) == ticket
    event = Event.objects.filter(ticket=ticket).first()
    assert (event.kind, event.data["user_id"]) == (EventKind.PARTICIPANT_ADDED, cast.colleague.pk)


@pytest.mark.parametrize("whom", ["other_customer", "outsider", "agent_dev", "agent_help"])
def test_only_colleagues_of_the_requester_can_be_participants(cast, whom):
    ticket = drive(cast, IP)
    before = state(ticket)
    with pytest.raises(InvalidInput):
        services.participant_add(ticket=ticket, actor=cast.cristina, person=getattr(cast, whom))
    assert state(ticket) == before
    with pytest.raises(InvalidInput):
        cast.ticket(participants=[getattr(cast, whom)])
    assert not Ticket.objects.exclude(pk=ticket.pk).exists()


def test_a_requester_without_a_company_has_no_colleagues_to_share_with(cast):
    ticket = cast.ticket(requester=cast.outsider)
    with pytest.raises(InvalidInput):
        services.participant_add(ticket=ticket, actor=cast.outsider, person=cast.colleague)


@pytest.mark.parametrize("name", ["other_company", "agent_of_another_desk", "outsider"])
def test_people_who_cannot_see_a_request_cannot_share_it(cast, agent_two, name):
    user, _create = enter(cast, agent_two, name)
    ticket = drive(cast, IP)
    with pytest.raises(NotFound):
        services.participant_add(ticket=ticket, actor=user, person=cast.colleague)


@pytest.mark.parametrize("status", FINAL)
def test_closed_or_cancelled_requests_are_not_shared_any_more(cast, status):
    ticket = drive(cast, status)
    with pytest.raises(TransitionRefused):
        services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)


def test_a_removed_participant_no_longer_sees_the_request(cast):
    ticket = drive(cast, IP, participants=[cast.colleague])
    assert selectors.ticket_get_for_user(cast.colleague, ticket.reference) == ticket
    services.participant_remove(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(cast.colleague, ticket.reference)
    assert Event.objects.filter(ticket=ticket).first().kind == EventKind.PARTICIPANT_REMOVED


def test_a_participant_may_leave_but_not_remove_others(cast):
    ticket = drive(cast, IP, participants=[cast.colleague, cast.cristina_admin])
    with pytest.raises(PermissionRefused):
        services.participant_remove(ticket=ticket, actor=cast.colleague, person=cast.cristina_admin)
    services.participant_remove(ticket=ticket, actor=cast.colleague, person=cast.colleague)
    assert list(ticket.participants.values_list("user", flat=True)) == [cast.cristina_admin.pk]


# ---- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("shares_requests", [True, False])
def test_a_colleague_sees_a_request_without_product_only_when_the_company_shares(
    cast, shares_requests
):
    cast.cristina_srl.shares_requests = shares_requests
    cast.cristina_srl.save()
    ticket = cast.ticket()
    if shares_requests:
        assert selectors.ticket_get_for_user(cast.colleague, ticket.reference) == ticket
    else:
        with pytest.raises(NotFound):
            selectors.ticket_get_for_user(cast.colleague, ticket.reference)


def _company_sharing_set(cast, *, company_shares: bool, product_link: str) -> None:
    """Cristina SRL's own setting for requests without a product, and how it has the cast's
    product: "sharing", "not sharing" (or "private"), or "no link" (not the company's)."""
    cast.cristina_srl.shares_requests = company_shares
    cast.cristina_srl.save()
    if product_link != "no link":
        OrganizationProduct.objects.create(
            organization=cast.cristina_srl,
            product=cast.product,
            shares_requests=product_link == "sharing",
        )


@pytest.mark.parametrize(
    ("company_shares", "product_link", "expected"),
    [
        (False, "sharing", True),
        (True, "sharing", True),
        (False, "not sharing", False),
        (True, "not sharing", False),  # the product's setting overrides the company's
        (True, "no link", False),
        (False, "no link", False),
    ],
)
def test_a_colleague_sees_a_product_request_only_when_the_company_shares_that_product(
    cast, company_shares, product_link, expected
):
    _company_sharing_set(cast, company_shares=company_shares, product_link=product_link)
    ticket = cast.ticket(product=cast.product)
    visible = selectors.ticket_queryset_for_user(cast.colleague).filter(pk=ticket.pk).exists()
    assert visible is expected
    assert (Role.PARTICIPANT in selectors.ticket_roles(cast.colleague, ticket)) is expected


@pytest.mark.parametrize("product", [True, False], ids=["with_product", "without_product"])
def test_a_customer_admin_sees_every_request_of_the_company(cast, product):
    ticket = cast.ticket(requester=cast.colleague, product=cast.product if product else None)
    assert selectors.ticket_get_for_user(cast.cristina_admin, ticket.reference) == ticket
    assert selectors.ticket_roles(cast.cristina_admin, ticket) == {Role.PARTICIPANT}


@pytest.mark.parametrize("company_shares", [True, False], ids=["company_shares", "not_shared"])
@pytest.mark.parametrize("product_link", ["sharing", "private", "no link"])
def test_the_company_list_holds_exactly_what_each_person_sees_of_the_company(
    cast, company_shares, product_link
):
    """``company_ticket_queryset_for_user`` (the portal's "Anyone in my company", written for
    the company's index) is ``ticket_queryset_for_user`` narrowed to the person's company, for
    every kind of person and every way a company shares (docs/requirements.md#visibility)."""
    _company_sharing_set(cast, company_shares=company_shares, product_link=product_link)
    made = {
        cast.ticket(),
        cast.ticket(product=cast.product),
        cast.ticket(requester=cast.colleague),
        cast.ticket(requester=cast.colleague, product=cast.product),
        cast.ticket(requester=cast.colleague, participants=[cast.cristina]),
        cast.ticket(requester=cast.other_customer),
        cast.ticket(requester=cast.outsider),
    }
    people = (
        cast.cristina,
        cast.colleague,
        cast.cristina_admin,
        cast.other_customer,
        cast.outsider,
        cast.agent_help,
        cast.admin,
    )
    for user in people:
        seen = selectors.ticket_queryset_for_user(user).filter(organization_id=user.organization_id)
        listed = set(selectors.company_ticket_queryset_for_user(user))
        assert listed == set(seen), user.email
        assert listed <= made
    # Not trivially equal: the company's administrator sees all five of the company's.
    assert len(set(selectors.company_ticket_queryset_for_user(cast.cristina_admin))) == 5


@pytest.mark.parametrize("is_customer_admin", [True, False])
def test_another_company_never_sees_a_request(cast, is_customer_admin):
    cast.cristina_srl.shares_requests = True
    cast.cristina_srl.save()
    OrganizationProduct.objects.create(
        organization=cast.other_sa, product=cast.product, shares_requests=True
    )
    cast.other_customer.is_customer_admin = is_customer_admin
    cast.other_customer.save()
    for ticket in (cast.ticket(), cast.ticket(product=cast.product)):
        with pytest.raises(NotFound):
            selectors.ticket_get_for_user(cast.other_customer, ticket.reference)
        assert not selectors.ticket_queryset_for_user(cast.other_customer).exists()


def test_agents_see_only_their_desks_and_administrators_every_desk(cast):
    help_ticket = cast.ticket()
    dev_ticket = cast.ticket(desk=cast.dev_desk)
    assert set(selectors.ticket_queryset_for_user(cast.agent_help)) == {help_ticket}
    assert set(selectors.ticket_queryset_for_user(cast.agent_dev)) == {dev_ticket}
    assert set(selectors.ticket_queryset_for_user(cast.admin)) == {help_ticket, dev_ticket}
    with pytest.raises(NotFound):
        selectors.ticket_get_for_user(cast.agent_dev, help_ticket.reference)


@pytest.mark.parametrize("name", CUSTOMER_PEOPLE)
def test_internal_notes_and_their_events_are_hidden_from_customers(cast, agent_two, name):
    user, create = enter(cast, agent_two, name)
    ticket = drive(cast, IP, **create)
    reply = services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="On it.")
    note = services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="VIP customer.", is_public=False
    )
    assert list(selectors.comment_list_for_user(user, ticket)) == [reply]
    assert list(selectors.comment_list_for_user(cast.agent_help, ticket)) == [reply, note]
    customer_events = list(selectors.event_list_for_user(user, ticket))
    agent_events = list(selectors.event_list_for_user(cast.agent_help, ticket))
    assert note not in [e.comment for e in customer_events]
    assert note in [e.comment for e in agent_events]
    assert all(e.is_public for e in customer_events)


# ---- attachments ---------------------------------------------------------------------------------


def upload(name: str) -> services.NewAttachment:
    return services.NewAttachment(SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode()))


@pytest.fixture
def attachments_ticket(cast, settings, tmp_path):
    """A ticket with a file from each kind of uploader: Cristina, her colleague (a participant),
    the agent in a public reply, and the agent in an internal note."""
    settings.MEDIA_ROOT = tmp_path
    ticket = cast.ticket(participants=[cast.colleague], attachments=[upload("requester.pdf")])
    services.ticket_comment_add(
        ticket=ticket, author=cast.colleague, body="Log", attachments=[upload("colleague.pdf")]
    )
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Fix", attachments=[upload("agent.pdf")]
    )
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Internal",
        is_public=False,
        attachments=[upload("internal.pdf")],
    )
    return ticket


@pytest.mark.parametrize(
    ("who", "shares_attachments", "expected"),
    [
        ("cristina", False, {"requester.pdf", "agent.pdf"}),
        ("cristina", True, {"requester.pdf", "colleague.pdf", "agent.pdf"}),
        ("colleague", False, {"colleague.pdf", "agent.pdf"}),
        ("colleague", True, {"requester.pdf", "colleague.pdf", "agent.pdf"}),
        ("agent_help", False, {"requester.pdf", "colleague.pdf", "agent.pdf", "internal.pdf"}),
        ("lead_help", True, {"requester.pdf", "colleague.pdf", "agent.pdf", "internal.pdf"}),
    ],
)
def test_each_person_sees_the_attachments_the_company_setting_allows(
    cast, attachments_ticket, who, shares_attachments, expected
):
    cast.cristina_srl.shares_attachments = shares_attachments
    cast.cristina_srl.save()
    ticket = Ticket.objects.get(pk=attachments_ticket.pk)
    user = getattr(cast, who)
    visible = selectors.attachment_queryset_for_user(user, ticket)
    assert {a.file_name for a in visible} == expected
    for attachment in Attachment.objects.filter(ticket=ticket):
        if attachment.file_name in expected:
            assert selectors.attachment_get_for_user(user, attachment.pk) == attachment
        else:
            with pytest.raises(NotFound):
                selectors.attachment_get_for_user(user, attachment.pk)


@pytest.mark.parametrize("who", ["other_customer", "outsider", "agent_dev"])
def test_people_who_cannot_see_the_request_cannot_fetch_its_files(cast, attachments_ticket, who):
    cast.cristina_srl.shares_attachments = True
    cast.cristina_srl.save()
    for attachment in Attachment.objects.filter(ticket=attachments_ticket):
        with pytest.raises(NotFound):
            selectors.attachment_get_for_user(getattr(cast, who), attachment.pk)


def test_attachments_are_stored_and_recorded(cast, attachments_ticket):
    attachment = Attachment.objects.get(ticket=attachments_ticket, file_name="internal.pdf")
    assert attachment.is_internal
    assert attachment.uploaded_by == cast.agent_help
    assert attachment.file.read() == b"%PDF-1.4 internal.pdf"
    events = Event.objects.filter(ticket=attachments_ticket, kind=EventKind.ATTACHMENT_ADDED)
    assert {(e.data["file_name"], e.is_public) for e in events} == {
        ("requester.pdf", True),
        ("colleague.pdf", True),
        ("agent.pdf", True),
        ("internal.pdf", False),
    }


# ---- the timeline --------------------------------------------------------------------------------


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_the_timeline_lists_every_change_newest_first(cast):
    ticket = cast.ticket(now=at(0))
    agent = cast.agent_help
    services.ticket_transition(ticket=ticket, actor=agent, action=Action.TAKE, now=at(1))
    services.ticket_comment_add(ticket=ticket, author=agent, body="Looking.", now=at(2))
    services.ticket_comment_add(
        ticket=ticket, author=agent, body="Note", is_public=False, now=at(3)
    )
    services.ticket_transition(
        ticket=ticket, actor=agent, action=Action.REQUEST_INFO, comment="Browser?", now=at(4)
    )
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Firefox", now=at(5))
    services.ticket_transition(
        ticket=ticket, actor=agent, action=Action.RESOLVE, resolution="Cache.", now=at(6)
    )
    services.feedback_give(ticket=ticket, actor=cast.cristina, rating=5, now=at(7))
    agent_view = [(e.kind, e.created_at) for e in selectors.event_list_for_user(agent, ticket)]
    assert agent_view == [
        (EventKind.FEEDBACK_GIVEN, at(7)),
        (EventKind.STATUS_CHANGED, at(6)),
        (EventKind.STATUS_CHANGED, at(5)),
        (EventKind.COMMENTED, at(5)),
        (EventKind.STATUS_CHANGED, at(4)),
        (EventKind.COMMENTED, at(4)),
        (EventKind.COMMENTED, at(3)),
        (EventKind.COMMENTED, at(2)),
        (EventKind.STATUS_CHANGED, at(1)),
        (EventKind.ASSIGNED, at(1)),
        (EventKind.CREATED, at(0)),
    ]
    customer_view = [e.created_at for e in selectors.event_list_for_user(cast.cristina, ticket)]
    assert customer_view == [t for _kind, t in agent_view if t != at(3)]
    moves = [
        (e.data["from_status"], e.data["to_status"])
        for e in Event.objects.filter(ticket=ticket, kind=EventKind.STATUS_CHANGED)
    ]
    assert moves == [(WFS, RES), (WFC, WFS), (IP, WFC), (WFS, IP)]


def _fields_change(cast, ticket):
    services.ticket_fields_change(ticket=ticket, actor=cast.agent_help, priority=cast.high)


SERVICE_CALLS = {
    "assign": (
        lambda cast, t: services.ticket_assign(ticket=t, actor=cast.lead_help, assignee=None),
        EventKind.ASSIGNED,
    ),
    "change fields": (_fields_change, EventKind.FIELD_CHANGED),
    "add participant": (
        lambda cast, t: services.participant_add(
            ticket=t, actor=cast.cristina, person=cast.colleague
        ),
        EventKind.PARTICIPANT_ADDED,
    ),
    "mute": (
        lambda cast, t: services.ticket_mute_set(ticket=t, user=cast.cristina, is_muted=True),
        EventKind.NOTIFICATIONS_CHANGED,
    ),
    "propose quote": (
        lambda cast, t: services.quote_propose(ticket=t, actor=cast.agent_help, price=Decimal(5)),
        EventKind.QUOTE_PROPOSED,
    ),
    "comment": (
        lambda cast, t: services.ticket_comment_add(ticket=t, author=cast.cristina, body="Hi"),
        EventKind.COMMENTED,
    ),
}


@pytest.mark.parametrize("call", list(SERVICE_CALLS))
def test_every_service_call_writes_its_event(cast, call):
    ticket = drive(cast, IP)
    service, kind = SERVICE_CALLS[call]
    count = Event.objects.filter(ticket=ticket).count()
    service(cast, ticket)
    assert Event.objects.filter(ticket=ticket).count() == count + 1
    assert Event.objects.filter(ticket=ticket).first().kind == kind


def test_the_field_change_event_says_what_changed(cast):
    ticket = drive(cast, IP)
    services.ticket_fields_change(
        ticket=ticket, actor=cast.agent_help, priority=cast.high, summary="Parola blocată"
    )
    events = Event.objects.filter(ticket=ticket, kind=EventKind.FIELD_CHANGED)
    assert [(e.data["field"], e.data["new"]) for e in events] == [("priority", cast.high.pk)]
    with pytest.raises(PermissionRefused):
        services.ticket_fields_change(ticket=ticket, actor=cast.cristina, priority=cast.normal)


def test_a_customer_reply_is_only_ever_a_comment(cast):
    ticket = cast.ticket()
    with pytest.raises(InvalidInput):
        services.ticket_transition(ticket=ticket, actor=cast.cristina, action=Action.CUSTOMER_REPLY)


@pytest.mark.django_db(transaction=True)
def test_the_worker_closes_resolved_tickets_when_their_time_comes(cast):
    from django.core.management import call_command

    ticket = cast.ticket()
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Done."
    )
    ticket.refresh_from_db()
    ticket.auto_close_at = ticket.resolved_at  # due now
    ticket.save(update_fields=["auto_close_at"])
    call_command("run_worker", "--once")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    closing = ticket.events.first()
    assert closing.actor is None
    assert closing.data["to_status"] == Status.CLOSED
