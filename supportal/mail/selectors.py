"""Reads of stored mail, with permission built in."""

from __future__ import annotations

from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.mail.models import InboundMessage
from supportal.mail.quarantine import quarantine_list_for_user
from supportal.tickets.selectors import ticket_queryset_for_user


def inbound_original_for_user(user: User, pk: int) -> InboundMessage:
    """A received message as it arrived, for the support team: an agent who may see the request
    it was written into, or who may decide it while it is quarantined; administrators any.
    Customers never (the
    original holds every header and every addressee). ``NotFound`` otherwise, also when it
    does not exist (docs/email.md, "One entry per mail")."""
    if not (user.is_authenticated and user.is_active and (user.is_agent or user.is_superuser)):
        raise NotFound(_("There is no such message."))
    if user.is_superuser:  # administrators read every stored message (also from the admin)
        message = InboundMessage.objects.filter(pk=pk).first()
    else:
        message = (
            InboundMessage.objects.filter(pk=pk, ticket__in=ticket_queryset_for_user(user)).first()
            or quarantine_list_for_user(user).defer(None).filter(pk=pk).first()
        )
    if message is None:
        raise NotFound(_("There is no such message."))
    return message
