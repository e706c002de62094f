"""Which SLA policy governs a request: the most specific one of its contracts."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from supportal.accounts.models import Contract
from supportal.desks.choices import kept_rows
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
    """The active policy that matches the request most specifically, or None. One query; none
    when the request's desk is in hand and no policy names a contract: the desk's policies are
    then kept per process for its version (``desks.choices``; saving a policy or a calendar
    moves it), and only a policy with a contract asks for the company's contracts."""
    if Ticket.desk.is_cached(ticket):
        return _policy_from_kept(ticket)
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


def _policy_from_kept(ticket: Ticket) -> Policy | None:
    """:func:`policy_for_ticket`'s choice among the desk's kept active policies."""
    desk_id = ticket.desk_id
    policies = kept_rows(
        [ticket.desk],
        "sla_policies",
        lambda: Policy.objects.filter(
            Q(desk__isnull=True) | Q(desk_id=desk_id), is_active=True
        ).select_related("calendar"),
    )
    candidates = [
        p
        for p in policies
        if p.priority_id in (None, ticket.priority_id)
        and p.request_type_id in (None, ticket.request_type_id)
    ]
    if any(p.contract_id is not None for p in candidates):
        contract_ids = (
            set(_contracts_for(ticket).values_list("pk", flat=True))
            if ticket.organization_id is not None
            else set()
        )
        candidates = [p for p in candidates if p.contract_id in (None, *contract_ids)]
    return max(candidates, key=_specificity, default=None)
