"""Which SLA policy governs a request: the most specific one of its contracts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Q
from django.utils import timezone

from supportal.accounts.models import Contract
from supportal.sla.models import (
    Policy,
)
from supportal.tickets.models import Ticket

# The ticket fields a policy is chosen by; changing one re-selects the policy.
POLICY_FIELDS = frozenset({"priority", "request_type", "product"})

# Inside policies_remembered(): the policy chosen, by everything that chooses it.
_remembered: ContextVar[dict[tuple, Policy | None] | None] = ContextVar(
    "sla_policies_remembered", default=None
)


@contextmanager
def policies_remembered() -> Iterator[None]:
    """Within the block (this thread only), the policy chosen for a request is remembered by
    what chooses it — desk, priority, request type, product, company and day — so requests
    alike cost one query between them. For a long write that changes no policy or contract:
    an import (docs/import.md, "Speed and memory")."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


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
    """The active policy that matches the request most specifically, or None. One query, none
    inside policies_remembered() for a request like one seen before."""
    remembered = _remembered.get()
    if remembered is None:
        return _policy_choose(ticket)
    key = (
        ticket.desk_id,
        ticket.priority_id,
        ticket.request_type_id,
        ticket.product_id,
        ticket.organization_id,
        timezone.localdate(ticket.created_at) if ticket.organization_id else None,
    )
    if key not in remembered:
        remembered[key] = _policy_choose(ticket)
    return remembered[key]


def _policy_choose(ticket: Ticket) -> Policy | None:
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
