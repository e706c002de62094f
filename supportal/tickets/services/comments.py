"""Comments and internal notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, NotFound, TransitionRefused
from supportal.core.wholly import service_atomic
from supportal.tickets import workflow
from supportal.tickets.events import Commented
from supportal.tickets.models import (
    DETAILS_MAX_LENGTH,
    Comment,
    SubmissionMethod,
    Ticket,
)
from supportal.tickets.selectors import (
    ticket_roles,
)
from supportal.tickets.services._common import (
    _clean_text,
    _event,
    _lock,
    _text_changed,
    _touch,
)
from supportal.tickets.services._gate import StatusNote, transition_apply, transition_check
from supportal.tickets.services.attachments import NewAttachment, _attachments_add
from supportal.tickets.workflow import Action, Role, Status, Transition


def ticket_comment_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    is_public: bool = True,
    via: SubmissionMethod = SubmissionMethod.PORTAL,
    attachments: Sequence[NewAttachment] = (),
    then: Action | None = None,
    now: dt.datetime | None = None,
) -> Comment:
    """Add a comment (agents: public reply or internal note; customers: always public).

    ``then``: the status change an agent's public reply makes, through the workflow's gate in
    the same transaction — ``REQUEST_INFO`` (the reply is what the customer is asked for; the
    request waits for them) or ``RESOLVE`` (the reply is also the resolution).

    A customer's comment on a ticket waiting for them, or on a resolved one, sends it back to
    support (the workflow's customer reply). Customers cannot comment on closed or cancelled
    tickets; agents may still add internal notes there. Side effects: COMMENTED (and maybe
    STATUS_CHANGED) events, stored files, the search index.
    """
    body = _clean_text(
        body, field="body", label=_("Comment"), max_length=DETAILS_MAX_LENGTH * 4, required=False
    )
    if not body and not attachments:
        raise InvalidInput(_("Write a comment or attach a file."), field="body")
    with service_atomic():
        ticket, at = _lock(ticket, now)
        resolution_before = ticket.resolution
        roles = ticket_roles(author, ticket)
        is_public, reply = _comment_check(ticket, roles, is_public=is_public)
        followed, data = _reply_status_check(ticket, roles, then, is_public=is_public, body=body)
        comment = Comment.objects.create(
            ticket=ticket, author=author, body=body, is_public=is_public, via=via, created_at=at
        )
        _event(ticket, Commented(), actor=author, at=at, comment=comment, is_public=is_public)
        _attachments_add(
            ticket,
            attachments,
            uploaded_by=author,
            comment=comment,
            is_internal=not is_public,
            at=at,
        )
        if reply is not None:
            transition_apply(ticket, reply, actor=author, at=at, comment=comment)
        elif followed is not None:
            transition_apply(ticket, followed, actor=author, at=at, comment=comment, **data)
        else:
            _touch(ticket, at)
        # A resolution written or cleared (a reply that resolves, an answer that reopens) changes
        # the ticket's own text: the document is read back, not appended to.
        _text_changed(ticket, comment=comment if ticket.resolution == resolution_before else None)
    return comment


_REPLY_STATUS_ACTIONS = (Action.REQUEST_INFO, Action.RESOLVE)


def _reply_status_check(
    ticket: Ticket, roles: frozenset[Role], then: Action | None, *, is_public: bool, body: str
) -> tuple[Transition | None, StatusNote]:
    """The workflow row an agent's reply applies after it (``then``), checked by the gate, and
    what the status change records; sets the waiting reason or the resolution on the ticket."""
    if then is None:
        return None, {}
    if (
        then not in _REPLY_STATUS_ACTIONS
        or not is_public
        or not {Role.AGENT, Role.TEAM_LEAD} & roles
    ):
        raise InvalidInput(_("A reply can only ask the customer or resolve."), field="then")
    transition = transition_check(ticket, then, roles)
    if not body:
        if then == Action.RESOLVE:
            raise InvalidInput(_("Write the resolution: the customer reads it."), field="body")
        raise InvalidInput(
            _("Write what you need from the customer: the comment is sent to them."), field="body"
        )
    if then == Action.RESOLVE:
        ticket.resolution = body
        return transition, {"resolution": body}
    ticket.waiting_reason = workflow.WaitingReason.INFORMATION_NEEDED
    return transition, {"reason": ticket.waiting_reason}


def _comment_check(
    ticket: Ticket, roles: frozenset[Role], *, is_public: bool
) -> tuple[bool, Transition | None]:
    """Whether the comment is public, and the customer-reply row it applies (customers only).

    Customers' comments are always public and refused on closed or cancelled requests; the
    support team may still add internal notes there.
    """
    status = Status(ticket.status)
    is_support = bool({Role.AGENT, Role.TEAM_LEAD} & roles)
    is_customer = bool({Role.REQUESTER, Role.PARTICIPANT} & roles)
    if not is_support and not is_customer:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": ticket.reference})
    if not is_support:
        if not workflow.can_customer_comment(status):
            raise TransitionRefused(
                _(
                    "This request is %(status)s and can no longer be updated. "
                    "Please open a new request."
                )
                % {"status": status.label.lower()}
            )
    elif is_public and status in workflow.FINAL_STATUSES:
        raise TransitionRefused(
            _("This request is %(status)s: only internal notes can be added.")
            % {"status": status.label.lower()}
        )
    # A customer's comment is the workflow's customer reply; the support team's is not.
    if is_support:
        return is_public, None
    return True, transition_check(ticket, Action.CUSTOMER_REPLY, roles)


def ticket_mail_note_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    attachments: Sequence[NewAttachment] = (),
    copied: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Comment:
    """Keep what inbound mail brought as an internal note, in any status (also closed or
    cancelled: such mail must not reopen the request, yet must not be lost).

    ``author`` is the sender when known (a customer may be the author of this note), or None
    for the system (bounces, the original message); ``copied``: the addresses the mail was also
    sent to that are not on the request (offered to agents as participants). Changes no status.
    Side effects: an internal COMMENTED event, internal attachments, the search index.
    """
    body = _clean_text(
        body, field="body", label=_("Comment"), max_length=DETAILS_MAX_LENGTH * 4, required=False
    )
    if not body and not attachments:
        raise InvalidInput(_("Write a comment or attach a file."), field="body")
    with service_atomic():
        ticket, at = _lock(ticket, now)
        comment = Comment.objects.create(
            ticket=ticket,
            author=author,
            body=body,
            is_public=False,
            via=SubmissionMethod.EMAIL,
            created_at=at,
        )
        _event(
            ticket,
            Commented(copied=list(copied)),
            actor=author,
            at=at,
            comment=comment,
            is_public=False,
        )
        _attachments_add(
            ticket, attachments, uploaded_by=author, comment=comment, is_internal=True, at=at
        )
        _touch(ticket, at)
        _text_changed(ticket, comment=comment)
    return comment
