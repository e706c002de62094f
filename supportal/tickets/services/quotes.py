"""Quotes and the requester's feedback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from supportal.tickets import workflow
from supportal.tickets.events import FeedbackGiven, QuoteAnswered, QuoteProposed
from supportal.tickets.models import (
    Feedback,
    Quote,
    QuoteState,
    Ticket,
)
from supportal.tickets.services._common import (
    _event,
    _lock,
    _require_support,
    _roles_of,
    _touch,
)
from supportal.tickets.workflow import Role, Status


def quote_propose(
    *,
    ticket: Ticket,
    actor: User,
    price: Decimal,
    currency: str = "RON",
    deadline: dt.date | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Quote:
    """Propose a price and a deadline for the work (docs/requirements.md#request-life, R10);
    replaces an unanswered quote."""
    if price is None or Decimal(price) < 0:
        raise InvalidInput(_("The price cannot be negative."), field="price")
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        _require_support(actor, ticket)
        if not ticket.is_open:
            raise TransitionRefused(_("Quotes can be proposed only on open requests."))
        ticket.quotes.filter(state=QuoteState.PROPOSED).update(state=QuoteState.WITHDRAWN)
        quote = Quote.objects.create(
            ticket=ticket,
            price=Decimal(price),
            currency=currency.upper()[:3],
            deadline=deadline,
            note=note.strip(),
            proposed_by=actor,
            created_at=at,
        )
        _event(
            ticket,
            QuoteProposed(
                quote_id=quote.pk,
                price=str(quote.price),
                currency=quote.currency,
                deadline=deadline.isoformat() if deadline else None,
            ),
            actor=actor,
            at=at,
        )
        _touch(ticket, at)
    return quote


def quote_answer(
    *, quote: Quote, actor: User, is_accepted: bool, now: dt.datetime | None = None
) -> Quote:
    """The requester accepts or declines the proposed quote, once."""
    with transaction.atomic():
        ticket, at = _lock(quote.ticket, now)
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if Role.REQUESTER not in _roles_of(actor, ticket):
            raise PermissionRefused(_("Only the requester can answer a quote."))
        if quote.state != QuoteState.PROPOSED:
            raise TransitionRefused(_("This quote has already been answered or withdrawn."))
        quote.state = QuoteState.ACCEPTED if is_accepted else QuoteState.DECLINED
        quote.answered_by = actor
        quote.answered_at = at
        quote.save(update_fields=["state", "answered_by", "answered_at"])
        _event(ticket, QuoteAnswered(quote_id=quote.pk, state=quote.state), actor=actor, at=at)
        _touch(ticket, at)
    return quote


def feedback_give(
    *, ticket: Ticket, actor: User, rating: int, message: str = "", now: dt.datetime | None = None
) -> Feedback:
    """The requester rates the resolution 1–5, once, on a resolved or closed request."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise InvalidInput(_("Choose a rating from 1 to 5."), field="rating")
    with transaction.atomic():
        ticket, at = _lock(ticket, now)
        if Role.REQUESTER not in _roles_of(actor, ticket):
            raise PermissionRefused(_("Only the requester can rate the resolution."))
        if not workflow.can_give_feedback(Status(ticket.status)):
            raise TransitionRefused(_("Feedback can be given once the request is resolved."))
        if Feedback.objects.filter(ticket=ticket).exists():
            raise TransitionRefused(_("Feedback has already been given for this request."))
        feedback = Feedback.objects.create(
            ticket=ticket, rating=rating, message=message.strip(), given_by=actor, created_at=at
        )
        _event(ticket, FeedbackGiven(rating=rating), actor=actor, at=at)
        _touch(ticket, at)
    return feedback
