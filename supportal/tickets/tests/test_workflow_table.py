"""The workflow table, tested as a table: every status × every action × every role.

``EXPECTED`` below is written out from the table of docs/requirements.md#moves, not derived from
``workflow.TRANSITIONS``, so a wrong row in the module makes these tests fail. Pure Python: no
database.
"""

from __future__ import annotations

import itertools

import pytest

from supportal.tickets import workflow
from supportal.tickets.workflow import Action, Role, Status

WFS = Status.WAITING_FOR_SUPPORT
IP = Status.IN_PROGRESS
WFC = Status.WAITING_FOR_CUSTOMER
W3P = Status.WAITING_FOR_THIRD_PARTY
RES = Status.RESOLVED
CLO = Status.CLOSED
CAN = Status.CANCELLED

ALL_STATUSES = (WFS, IP, WFC, W3P, RES, CLO, CAN)
OPEN = (WFS, IP, WFC, W3P)

REQ = Role.REQUESTER
PART = Role.PARTICIPANT  # a named participant, or a colleague allowed to see the request
AGT = Role.AGENT
ASG = Role.ASSIGNEE
LEAD = Role.TEAM_LEAD
SYS = Role.SYSTEM

ALL_ROLES = (REQ, PART, AGT, ASG, LEAD, SYS)
# "agent" in the issue: a member of the request's desk, whether or not it is theirs or they lead.
AGENTS = frozenset({AGT, ASG, LEAD})
CUSTOMERS = frozenset({REQ, PART})

UNCHANGED = "unchanged"
REPLY_TARGET = "depends on the desk and the assignee"

# action -> {from status: (who, to)}; a status that is absent is refused to everyone.
EXPECTED: dict[Action, dict[Status, tuple[frozenset[Role], Status | str]]] = {
    Action.TAKE: {WFS: (AGENTS, IP)},
    Action.START: {WFS: (frozenset({ASG}), IP)},
    Action.REQUEST_INFO: {WFS: (AGENTS, WFC), IP: (AGENTS, WFC), W3P: (AGENTS, WFC)},
    Action.CUSTOMER_REPLY: {
        WFC: (CUSTOMERS, REPLY_TARGET),
        RES: (CUSTOMERS, REPLY_TARGET),
        WFS: (CUSTOMERS, UNCHANGED),
        IP: (CUSTOMERS, UNCHANGED),
        W3P: (CUSTOMERS, UNCHANGED),
    },
    Action.WAIT_FOR_THIRD_PARTY: {WFS: (AGENTS, W3P), IP: (AGENTS, W3P), WFC: (AGENTS, W3P)},
    Action.THIRD_PARTY_ANSWERED: {W3P: (AGENTS, IP)},
    Action.RESOLVE: {WFS: (AGENTS, RES), IP: (AGENTS, RES), WFC: (AGENTS, RES), W3P: (AGENTS, RES)},
    Action.CUSTOMER_RESOLVE: {
        WFS: (frozenset({REQ}), RES),
        IP: (frozenset({REQ}), RES),
        WFC: (frozenset({REQ}), RES),
        W3P: (frozenset({REQ}), RES),
    },
    Action.CANCEL: {
        WFS: (AGENTS | {REQ}, CAN),
        IP: (AGENTS | {REQ}, CAN),
        WFC: (AGENTS | {REQ}, CAN),
        W3P: (AGENTS | {REQ}, CAN),
    },
    Action.CLOSE: {RES: (AGENTS | {SYS}, CLO)},
}

# The role sets real people hold on a request (see selectors.ticket_roles).
PEOPLE: dict[str, frozenset[Role]] = {
    "requester": frozenset({REQ}),
    "participant": frozenset({PART}),
    "agent": frozenset({AGT}),
    "assignee": frozenset({AGT, ASG}),
    "team_lead": frozenset({AGT, LEAD}),
    "team_lead_assignee": frozenset({AGT, LEAD, ASG}),
    "system": frozenset({SYS}),
    "nobody": frozenset(),
}


def expected_allowed(action: Action, status: Status, roles: frozenset[Role] | set[Role]) -> bool:
    row = EXPECTED[action].get(status)
    return row is not None and bool(row[0] & set(roles))


def expected_target(action: Action, status: Status) -> Status | str | None:
    """Where the move leads (UNCHANGED, REPLY_TARGET), or None when there is no such move."""
    row = EXPECTED[action].get(status)
    return None if row is None else row[1]


def test_the_expected_table_names_every_action_status_and_role():
    assert set(EXPECTED) == set(Action)
    assert set(ALL_STATUSES) == set(Status)
    assert set(ALL_ROLES) == set(Role)


def test_status_groups_are_the_issues():
    assert frozenset(OPEN) == workflow.OPEN_STATUSES
    assert frozenset({CLO, CAN}) == workflow.FINAL_STATUSES
    assert frozenset({WFC, W3P}) == workflow.PAUSED_STATUSES


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_role_may_take_exactly_the_moves_the_issue_allows(status, action, role):
    assert workflow.is_allowed(action, status, {role}) is expected_allowed(action, status, {role})


@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_a_person_holding_several_roles_may_do_what_any_of_them_may(status, action, person):
    roles = PEOPLE[person]
    assert workflow.is_allowed(action, status, roles) is expected_allowed(action, status, roles)


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for a in Action for s in ALL_STATUSES if expected_target(a, s) is not None],
)
def test_an_allowed_move_leads_where_the_issue_says(status, action):
    transition = workflow.find_transition(action, status)
    assert transition is not None
    expected = expected_target(action, status)
    if expected == UNCHANGED:
        assert transition.target is None
    elif expected == REPLY_TARGET:
        assert transition.target == workflow.CUSTOMER_REPLY_TARGET
    else:
        assert transition.target == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for a in Action for s in ALL_STATUSES if expected_target(a, s) is None],
)
def test_a_move_the_issue_does_not_list_has_no_row(status, action):
    assert workflow.find_transition(action, status) is None


def test_no_two_rows_start_the_same_action_from_the_same_status():
    # find_transition returns the first match: overlapping rows would hide one another.
    for first, second in itertools.combinations(workflow.TRANSITIONS, 2):
        if first.action == second.action:
            assert not first.sources & second.sources, (first, second)


@pytest.mark.parametrize(
    ("action", "needs"),
    [
        (Action.REQUEST_INFO, "needs_public_comment"),
        (Action.WAIT_FOR_THIRD_PARTY, "needs_note"),
        (Action.RESOLVE, "needs_resolution"),
    ],
)
def test_some_moves_need_text(action, needs):
    for status in EXPECTED[action]:
        transition = workflow.find_transition(action, status)
        assert getattr(transition, needs) is True


@pytest.mark.parametrize("action", list(Action))
def test_other_moves_need_no_text(action):
    flags = {
        Action.REQUEST_INFO: "needs_public_comment",
        Action.WAIT_FOR_THIRD_PARTY: "needs_note",
        Action.RESOLVE: "needs_resolution",
    }
    for status in EXPECTED[action]:
        transition = workflow.find_transition(action, status)
        for flag in ("needs_public_comment", "needs_note", "needs_resolution"):
            if flags.get(action) != flag:
                assert getattr(transition, flag) is False, (action, status, flag)


@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_allowed_actions_lists_each_permitted_action_once(status, person):
    roles = PEOPLE[person]
    actions = workflow.allowed_actions(status, roles)
    assert len(actions) == len(set(actions))
    assert set(actions) == {a for a in Action if expected_allowed(a, status, roles)}


def test_allowed_actions_for_a_waiting_customer_are_answer_resolve_and_cancel():
    assert set(workflow.allowed_actions(WFC, {REQ})) == {
        Action.CUSTOMER_REPLY,
        Action.CUSTOMER_RESOLVE,
        Action.CANCEL,
    }


@pytest.mark.parametrize(
    ("status", "has_assignee", "goes_to_in_progress", "expected"),
    [
        (WFC, False, False, WFS),
        (WFC, True, False, WFS),
        (WFC, False, True, WFS),
        (WFC, True, True, IP),
        # A reopened resolved request always waits for support, whatever the desk says.
        (RES, False, False, WFS),
        (RES, True, False, WFS),
        (RES, False, True, WFS),
        (RES, True, True, WFS),
    ],
)
def test_customer_reply_target_follows_the_desk_setting(
    status, has_assignee, goes_to_in_progress, expected
):
    target = workflow.customer_reply_target(
        status, has_assignee=has_assignee, goes_to_in_progress_when_assigned=goes_to_in_progress
    )
    assert target == expected


# role -> (may assign someone else, may assign themself), on open requests.
CAN_ASSIGN = {
    REQ: (False, False),
    PART: (False, False),
    AGT: (False, True),
    ASG: (False, True),
    LEAD: (True, True),
    SYS: (False, False),
}


@pytest.mark.parametrize("to_self", [True, False], ids=["to_self", "to_other"])
@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_team_leads_assign_anyone_agents_only_themselves_and_only_open_requests(
    status, role, to_self
):
    others, themself = CAN_ASSIGN[role]
    expected = status in OPEN and (themself if to_self else others)
    assert workflow.can_assign({role}, to_self=to_self, status=status) is expected


@pytest.mark.parametrize("to_self", [True, False], ids=["to_self", "to_other"])
@pytest.mark.parametrize("person", list(PEOPLE))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_can_assign_for_the_role_sets_people_hold(status, person, to_self):
    roles = PEOPLE[person]
    expected = status in OPEN and any(CAN_ASSIGN[r][0 if not to_self else 1] for r in roles)
    assert workflow.can_assign(roles, to_self=to_self, status=status) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(WFS, True), (IP, True), (WFC, True), (W3P, True), (RES, True), (CLO, False), (CAN, False)],
)
def test_customers_may_comment_until_the_request_is_closed_or_cancelled(status, expected):
    assert workflow.can_customer_comment(status) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(WFS, False), (IP, False), (WFC, False), (W3P, False), (RES, True), (CLO, True), (CAN, False)],
)
def test_feedback_may_be_given_on_resolved_and_closed_requests(status, expected):
    assert workflow.can_give_feedback(status) is expected
