"""Registering a request received by phone or e-mail, for an existing or a new customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.languages import language_detect
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
    language: str = "",
    request_type: RequestType | None = None,
    priority: Priority | None = None,
    product: Product | None = None,
    custom_fields: dict[str, object] | None = None,
    attachments: Sequence[services.NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Registered:
    """Create the request for the customer with this e-mail, registering (and inviting) them
    first when the address is unknown, with a new company when one is named.

    ``language`` is the one the agent chose on the phone: a new customer's, or an existing
    one's who chose none themselves; empty: detected from the summary and details
    (docs/languages.md). All or nothing: a refused request creates no customer. Side effects:
    those of ``customer_register`` (the invitation mail) and ``ticket_create``.
    """
    with transaction.atomic():
        requester, is_new = _requester(
            email=email.strip().lower(),
            actor=actor,
            organization=organization,
            new_company=new_company,
            first_name=first_name,
            last_name=last_name,
            phone=contact_phone,
            language=language,
            text=f"{summary}\n{details}",
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
            custom_fields=custom_fields,
            attachments=attachments,
            now=now,
        )
    return Registered(ticket=ticket, requester=requester, is_new_customer=is_new)


def _requester(
    *,
    email: str,
    actor: User,
    organization: Organization | None,
    new_company: str,
    first_name: str,
    last_name: str,
    phone: str,
    language: str,
    text: str,
) -> tuple[User, bool]:
    """The customer with this address and whether they are new: registered (and invited)
    when unknown; an existing one who chose no language gets the one the agent chose."""
    requester = User.objects.filter(email__iexact=email).first()
    if requester is None:
        registered = customer_register(
            email=email,
            invited_by=actor,
            organization=organization,
            new_company=new_company,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            language=language,
            detected_language="" if language else language_detect(text),
        )
        return registered, True
    if requester.is_agent or requester.is_superuser:
        raise InvalidInput(
            _("%(email)s belongs to the support team, not to a customer.") % {"email": email},
            field="email",
        )
    if language and not requester.language:
        requester.language = language
        requester.save(update_fields=["language"])
    return requester, False
