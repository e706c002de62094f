"""The ticket state machine, as one table.

Every status change in Supportal is a row of ``TRANSITIONS``: an action, the roles that may take
it (``Role.SYSTEM`` is the worker and the follow-up close, checked like any other role), the
statuses it may start from, where it leads, what it needs (a public comment, a note, a
resolution) and its declared effects (it assigns the actor; its comment is internal or is the
resolution; it is followed by a close when the desk's auto-close delay is 0 days).

This module holds no ORM code, so the table is tested as a table. The only code that applies
it is the gate in ``tickets/services/_gate.py``: the workspace, the portal, inbound mail, bulk
actions, the auto-close worker and the SLA's overdue-answer rule all change a status through
it, and it is the only caller of :func:`find_transition` and the only writer of
``Ticket.status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    WAITING_FOR_SUPPORT = "waiting_for_support", _("Waiting for support")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CUSTOMER = "waiting_for_customer", _("Waiting for customer")
    WAITING_FOR_THIRD_PARTY = "waiting_for_third_party", _("Waiting for third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {
        Status.WAITING_FOR_SUPPORT,
        Status.IN_PROGRESS,
        Status.WAITING_FOR_CUSTOMER,
        Status.WAITING_FOR_THIRD_PARTY,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
# Statuses in which the SLA clocks stand still (the SLA issue reads this).
PAUSED_STATUSES = frozenset({Status.WAITING_FOR_CUSTOMER, Status.WAITING_FOR_THIRD_PARTY})


class Role(StrEnum):
    """Who acts, relative to the ticket. One person may hold several roles at once."""

    REQUESTER = "requester"
    PARTICIPANT = "participant"  # named on the ticket, or a colleague allowed to see it
    AGENT = "agent"  # a member of the ticket's desk
    ASSIGNEE = "assignee"  # the agent the ticket is assigned to
    TEAM_LEAD = "team_lead"  # a team lead of the ticket's desk (or an administrator)
    SYSTEM = "system"  # the worker (auto-close) and inbound e-mail acting for nobody


class Action(StrEnum):
    TAKE = "take"
    START = "start"
    REQUEST_INFO = "request_info"
    CUSTOMER_REPLY = "customer_reply"
    WAIT_FOR_THIRD_PARTY = "wait_for_third_party"
    THIRD_PARTY_ANSWERED = "third_party_answered"
    RESOLVE = "resolve"
    CUSTOMER_RESOLVE = "customer_resolve"
    CANCEL = "cancel"
    CLOSE = "close"


class WaitingReason(models.TextChoices):
    INFORMATION_NEEDED = "information_needed", _("Information needed")
    PLEASE_TEST = "please_test", _("Please test")


# The "to" of a customer reply depends on the ticket: see ``customer_reply_target``.
CUSTOMER_REPLY_TARGET = "customer_reply_target"
ANY_OPEN = OPEN_STATUSES


@dataclass(frozen=True)
class Transition:
    action: Action
    roles: frozenset[Role]
    sources: frozenset[Status]
    target: Status | str | None  # None: the status does not change
    needs_public_comment: bool = False
    needs_note: bool = False
    needs_resolution: bool = False
    # Declared effects, applied by the gate.
    assigns_actor: bool = False  # the actor becomes the assignee
    comment_is_internal: bool = False  # a comment given with the action is an internal note
    comment_is_resolution: bool = False  # a comment given with the action is the resolution
    closes_without_delay: bool = False  # the system closes at once when the desk's delay is 0


def _t(action, roles, sources, target, **needs) -> Transition:
    return Transition(action, frozenset(roles), frozenset(sources), target, **needs)


_CUSTOMERS = {Role.REQUESTER, Role.PARTICIPANT}
_SUPPORT = {Role.AGENT, Role.ASSIGNEE, Role.TEAM_LEAD}

TRANSITIONS: tuple[Transition, ...] = (
    _t(
        Action.TAKE,
        _SUPPORT,
        {Status.WAITING_FOR_SUPPORT},
        Status.IN_PROGRESS,
        assigns_actor=True,
    ),
    _t(Action.START, {Role.ASSIGNEE}, {Status.WAITING_FOR_SUPPORT}, Status.IN_PROGRESS),
    _t(
        Action.REQUEST_INFO,
        _SUPPORT,
        ANY_OPEN - {Status.WAITING_FOR_CUSTOMER},
        Status.WAITING_FOR_CUSTOMER,
        needs_public_comment=True,
    ),
    _t(
        Action.CUSTOMER_REPLY,
        _CUSTOMERS,
        {Status.WAITING_FOR_CUSTOMER, Status.RESOLVED},
        CUSTOMER_REPLY_TARGET,
    ),
    _t(
        Action.CUSTOMER_REPLY,
        _CUSTOMERS,
        ANY_OPEN - {Status.WAITING_FOR_CUSTOMER},
        None,
    ),
    _t(
        Action.WAIT_FOR_THIRD_PARTY,
        _SUPPORT,
        ANY_OPEN - {Status.WAITING_FOR_THIRD_PARTY},
        Status.WAITING_FOR_THIRD_PARTY,
        needs_note=True,
        comment_is_internal=True,
    ),
    _t(
        Action.THIRD_PARTY_ANSWERED,
        _SUPPORT,
        {Status.WAITING_FOR_THIRD_PARTY},
        Status.IN_PROGRESS,
    ),
    _t(
        Action.RESOLVE,
        _SUPPORT,
        ANY_OPEN,
        Status.RESOLVED,
        needs_resolution=True,
        closes_without_delay=True,
    ),
    _t(
        Action.CUSTOMER_RESOLVE,
        {Role.REQUESTER},
        ANY_OPEN,
        Status.RESOLVED,
        comment_is_resolution=True,
        closes_without_delay=True,
    ),
    _t(Action.CANCEL, {Role.REQUESTER} | _SUPPORT, ANY_OPEN, Status.CANCELLED),
    _t(Action.CLOSE, _SUPPORT | {Role.SYSTEM}, {Status.RESOLVED}, Status.CLOSED),
)


def find_transition(action: Action, status: Status) -> Transition | None:
    """The row for this action from this status, whoever acts; None if there is none."""
    for transition in TRANSITIONS:
        if transition.action == action and status in transition.sources:
            return transition
    return None


def is_allowed(action: Action, status: Status, roles: frozenset[Role] | set[Role]) -> bool:
    """Whether these roles may take this action now (for the buttons; the gate decides)."""
    return action in allowed_actions(status, roles)


def allowed_actions(status: Status, roles: frozenset[Role] | set[Role]) -> list[Action]:
    """Actions these roles may take now, in table order, each once (for the buttons)."""
    seen: list[Action] = []
    for transition in TRANSITIONS:
        if (
            status in transition.sources
            and transition.roles & set(roles)
            and transition.action not in seen
        ):
            seen.append(transition.action)
    return seen


def customer_reply_target(
    status: Status, *, has_assignee: bool, goes_to_in_progress_when_assigned: bool
) -> Status:
    """Where a customer's answer leads from Waiting for customer or Resolved.

    The customer guides say the ticket "becomes In progress"; their screenshots show Waiting for
    support first (docs/requirements.md#moves, R6). A desk setting chooses; a reopened Resolved
    ticket always waits for support.
    """
    if status == Status.WAITING_FOR_CUSTOMER and has_assignee and goes_to_in_progress_when_assigned:
        return Status.IN_PROGRESS
    return Status.WAITING_FOR_SUPPORT


def can_customer_comment(status: Status) -> bool:
    return status not in FINAL_STATUSES


def can_give_feedback(status: Status) -> bool:
    return status in {Status.RESOLVED, Status.CLOSED}


def can_assign(roles: frozenset[Role] | set[Role], *, to_self: bool, status: Status) -> bool:
    """Team leads assign anyone; an agent of the desk assigns only themself; open tickets only."""
    if status not in OPEN_STATUSES:
        return False
    if Role.TEAM_LEAD in roles:
        return True
    return to_self and bool({Role.AGENT, Role.ASSIGNEE} & set(roles))
