"""Registering a request received by phone or e-mail, for an existing or a new customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import Organization, User
from supportal.accounts.services import customer_register
from supportal.core.errors import InvalidInput
from supportal.desks.models import Desk, Priority, Product, RequestType
from supportal.tickets import services
from supportal.tickets.models import SubmissionMethod, Ticket


@dataclass(frozen=True)
class Registered:
    ticket: Ticket
    requester: User
    is_new_customer: bool


def customer_request_register(
    *,
    actor: User,
    desk: Desk,
    email: str,
    summary: str,
    details: str = "",
    submission_method: SubmissionMethod = SubmissionMethod.PHONE,
    first_name: str = "",
    last_name: str = "",
    organization: Organization | None = None,
    new_company: str = "",
    contact_phone: str = "",
    request_type: RequestType | None = None,
    priority: Priority | None = None,
    product: Product | None = None,
    attachments: Sequence[services.NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Registered:
    """Create the request for the customer with this e-mail, registering (and inviting) them
    first when the address is unknown, with a new company when one is named.

    All or nothing: a refused request creates no customer. Side effects: those of
    ``customer_register`` (the invitation mail) and ``ticket_create``.
    """
    email = email.strip().lower()
    with transaction.atomic():
        requester = User.objects.filter(email__iexact=email).first()
        is_new = requester is None
        if requester is not None and (requester.is_agent or requester.is_superuser):
            raise InvalidInput(
                _("%(email)s belongs to the support team, not to a customer.") % {"email": email},
                field="email",
            )
        if is_new:
            requester = customer_register(
                email=email,
                invited_by=actor,
                organization=organization,
                new_company=new_company,
                first_name=first_name,
                last_name=last_name,
                phone=contact_phone,
            )
        ticket = services.ticket_create(
            desk=desk,
            requester=requester,
            actor=actor,
            summary=summary,
            details=details,
            submission_method=submission_method,
            product=product,
            request_type=request_type,
            priority=priority,
            contact_phone=contact_phone,
            attachments=attachments,
            now=now,
        )
    return Registered(ticket=ticket, requester=requester, is_new_customer=is_new)
