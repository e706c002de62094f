"""Who works on a request and who shares it: assignment, participants, muting."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused, TransitionRefused
from supportal.tickets import workflow
from supportal.tickets.events import (
    Assigned,
    NotificationsChanged,
    ParticipantAdded,
    ParticipantRemoved,
)
from supportal.tickets.models import (
    NotificationMute,
    Participant,
    Ticket,
)
from supportal.tickets.selectors import (
    ticket_queryset_for_user,
    ticket_roles,
)
from supportal.tickets.services._common import _event, _lock, _now, _roles_of, _touch
from supportal.tickets.workflow import Role, Status


def ticket_assign(
    *, ticket: Ticket, actor: User, assignee: User | None, now: dt.datetime | None = None
) -> Ticket:
    """Give the ticket to an agent of its desk (or to nobody). Team leads assign anyone; an
    agent assigns only themself. The status does not change. Side effect: an ASSIGNED event."""
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        roles = _roles_of(actor, ticket)
        to_self = assignee is not None and assignee.pk == actor.pk
        if not workflow.can_assign(roles, to_self=to_self, status=Status(ticket.status)):
            if ticket.status not in workflow.OPEN_STATUSES:
                raise TransitionRefused(_("Only open requests can be assigned."))
            raise PermissionRefused(_("Only a team lead can assign requests to someone else."))
        if assignee is not None and not {Role.AGENT, Role.TEAM_LEAD} & ticket_roles(
            assignee, ticket
        ):
            raise InvalidInput(
                _("%(name)s is not an agent of this desk.") % {"name": assignee}, field="assignee"
            )
        if ticket.assignee_id == getattr(assignee, "pk", None):
            return ticket
        previous = ticket.assignee_id
        ticket.assignee = assignee
        _touch(ticket, at, "assignee")
        _event(
            ticket,
            Assigned(assignee_id=getattr(assignee, "pk", None), previous_assignee_id=previous),
            actor=actor,
            at=at,
        )
    return ticket


def _participant_add(
    ticket: Ticket,
    person: User,
    *,
    actor: User | None,
    at: dt.datetime,
    outsider_allowed: bool = False,
) -> None:
    if person.is_agent or person.is_superuser:
        raise InvalidInput(_("Agents are not participants; assign the request instead."))
    if not outsider_allowed and (
        ticket.organization_id is None or person.organization_id != ticket.organization_id
    ):
        raise InvalidInput(
            _("%(name)s is not a colleague of the requester.") % {"name": person},
            field="participants",
        )
    _participant, created = Participant.objects.get_or_create(
        ticket=ticket, user=person, defaults={"added_by": actor, "created_at": at}
    )
    if created:
        _event(ticket, ParticipantAdded(user_id=person.pk), actor=actor, at=at)


def participant_add(
    *, ticket: Ticket, actor: User, person: User, now: dt.datetime | None = None
) -> None:
    """Share the request with a colleague of the requester (requester, participants, agents)."""
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        roles = ticket_roles(actor, ticket)
        if not roles - {Role.SYSTEM}:
            raise NotFound()
        if ticket.status in workflow.FINAL_STATUSES:
            raise TransitionRefused(_("A closed or cancelled request cannot be changed."))
        _participant_add(ticket, person, actor=actor, at=at)
        _touch(ticket, at)


def participant_add_by_email(
    *, ticket: Ticket, actor: User, email: str, now: dt.datetime | None = None
) -> User:
    """An agent shares the request with any address (e.g. someone in Cc from another company):
    an unknown address becomes a customer without a company, not invited, who receives the
    public updates by mail in their language from then on. Agents of the desk only.
    Side effects: may create the user; the Participant row and its event. Returns the person."""
    address = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from None
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        roles = ticket_roles(actor, ticket)
        if not roles & {Role.AGENT, Role.TEAM_LEAD}:
            raise NotFound()
        if ticket.status in workflow.FINAL_STATUSES:
            raise TransitionRefused(_("A closed or cancelled request cannot be changed."))
        person = User.objects.filter(email__iexact=address).first()
        if person is None:
            person = User.objects.create_user(address, password=None)
        if not person.is_active:
            raise InvalidInput(_("%(email)s is a deactivated account.") % {"email": address})
        _participant_add(ticket, person, actor=actor, at=at, outsider_allowed=True)
        _touch(ticket, at)
    return person


def participant_add_copied(
    *, ticket: Ticket, actor: User, email: str, now: dt.datetime | None = None
) -> User | None:
    """The requester's mail copied ``email``, someone outside their company, and the desk
    shares with such people (``Desk.shares_with_copied_outsiders``; the caller checked that the
    mail's sender was verified). Refused quietly (None) for anyone the requester could not
    share with by themself: another company's customer, an agent, a deactivated account, an
    address no mail could reach, a closed request. An unknown address becomes a customer
    without a company, not invited, who receives the public updates by mail.
    Side effects: may create the user; the Participant row and its event."""
    address = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(address)
    except ValidationError:
        return None
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        if actor.pk != ticket.requester_id or ticket.status in workflow.FINAL_STATUSES:
            return None
        if not ticket.desk.shares_with_copied_outsiders:
            return None
        person = User.objects.filter(email__iexact=address).first()
        if person is not None and (
            person.is_agent
            or person.is_superuser
            or not person.is_active
            or person.organization_id not in (None, ticket.organization_id)
        ):
            return None
        if person is None:
            person = User.objects.create_user(address, password=None)
        _participant_add(ticket, person, actor=actor, at=at, outsider_allowed=True)
        _touch(ticket, at)
    return person


def participant_remove(
    *, ticket: Ticket, actor: User, person: User, now: dt.datetime | None = None
) -> None:
    """Stop sharing with someone: agents and the requester remove anyone, others themselves."""
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        roles = _roles_of(actor, ticket)
        allowed = {Role.AGENT, Role.TEAM_LEAD, Role.REQUESTER} & roles or person.pk == actor.pk
        if not allowed:
            raise PermissionRefused(_("Only the requester or an agent can remove participants."))
        deleted, _details = Participant.objects.filter(ticket=ticket, user=person).delete()
        if deleted:
            _event(ticket, ParticipantRemoved(user_id=person.pk), actor=actor, at=at)
            _touch(ticket, at)


def ticket_mute_set(
    *, ticket: Ticket, user: User, is_muted: bool, now: dt.datetime | None = None
) -> None:
    """ "Don't notify me" for this request (docs/requirements.md#notifications, N2), or undo it.
    Requests for information and the resolution are still sent: the notifications module applies
    that exception."""
    at = _now(now)
    if not ticket_queryset_for_user(user).filter(pk=ticket.pk).exists():
        raise NotFound()
    with transaction.atomic():
        if is_muted:
            _mute, created = NotificationMute.objects.get_or_create(
                ticket=ticket, user=user, defaults={"created_at": at}
            )
        else:
            created = bool(NotificationMute.objects.filter(ticket=ticket, user=user).delete()[0])
        if created:
            _event(
                ticket, NotificationsChanged(is_muted=is_muted), actor=user, at=at, is_public=False
            )
