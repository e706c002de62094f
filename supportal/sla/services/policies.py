"""Which SLA policy governs a request: the most specific one of its contracts."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from supportal.accounts.models import Contract
from supportal.sla.models import (
    Policy,
)
from supportal.tickets.models import Ticket

# The ticket fields a policy is chosen by; changing one re-selects the policy.
POLICY_FIELDS = frozenset({"priority", "request_type", "product"})


def _contracts_for(ticket: Ticket):
    day = timezone.localdate(ticket.created_at)
    return Contract.objects.in_force(day).filter(
        Q(product__isnull=True) | Q(product_id=ticket.product_id),
        organization_id=ticket.organization_id,
    )


def _specificity(policy: Policy) -> tuple:
    # More criteria first; between equally many, a contract outranks a priority, a priority a
    # request type, a request type a desk; then the oldest policy.
    criteria = (
        policy.contract_id is not None,
        policy.priority_id is not None,
        policy.request_type_id is not None,
        policy.desk_id is not None,
    )
    return (sum(criteria), *criteria, -policy.pk)


def policy_for_ticket(ticket: Ticket) -> Policy | None:
    """The active policy that matches the request most specifically, or None. One query."""
    contract_match = Q(contract__isnull=True)
    if ticket.organization_id is not None:
        contract_match |= Q(contract__in=_contracts_for(ticket))
    candidates = Policy.objects.filter(
        Q(desk__isnull=True) | Q(desk_id=ticket.desk_id),
        Q(priority__isnull=True) | Q(priority_id=ticket.priority_id),
        Q(request_type__isnull=True) | Q(request_type_id=ticket.request_type_id),
        contract_match,
        is_active=True,
    ).select_related("calendar")
    return max(candidates, key=_specificity, default=None)
