"""What a customer may file a request under: the products, request types and priorities their
company's listing and contracts in force allow (docs/requirements.md). Re-exported by
``tickets.selectors``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from supportal.accounts.models import Contract, OrganizationProduct, User
from supportal.core.memo import remembered
from supportal.core.statements import KeptStatement
from supportal.desks.models import Desk, Priority, Product, RequestType


def priority_queryset_allowed(user: User, *, product: Product | None) -> QuerySet[Priority]:
    """The priorities a customer may choose (docs/requirements.md#request-fields, F1).

    The company's active contracts in force today that cover the product (or every product)
    list them. Where no such contract lists any, nothing restricts the choice: a new
    installation works before contracts are entered.
    """
    if user.is_agent or user.is_superuser:
        return Priority.objects.all()
    today = timezone.localdate()
    contracts = Contract.objects.in_force(today).filter(
        Q(product__isnull=True) | Q(product=product), organization_id=user.organization_id
    )
    if user.organization_id is not None and contracts.filter(priorities__isnull=False).exists():
        return Priority.objects.filter(contracts__in=contracts).distinct()
    return Priority.objects.all()


def priority_ids_allowed(user: User, *, products: Sequence[Product | None]) -> set[int]:
    """The priorities :func:`priority_queryset_allowed` gives for any of ``products``, united,
    in one query for the contracts and at most one for every priority (not two per product)."""
    ids: set[int] = set()
    for allowed in priority_ids_allowed_by_product(user, products=products).values():
        ids |= allowed
    return ids


def priority_ids_allowed_by_product(
    user: User, *, products: Sequence[Product | None], every: set[int] | None = None
) -> dict[int | None, set[int]]:
    """For each of ``products`` (by id; None: no product), the priorities the customer's
    contracts allow — what the new-request form offers once a product is chosen. Same queries
    as :func:`priority_ids_allowed`, less the one for every priority when the caller has them
    (``every``: the ids of all priorities)."""
    if user.is_agent or user.is_superuser or user.organization_id is None:
        if every is None:
            every = set(Priority.objects.values_list("pk", flat=True))
        return {getattr(product, "pk", None): every for product in products}
    listed = _contract_priorities(user)
    by_product: dict[int | None, set[int]] = {}
    every_ids: set[int] | None = every
    for product in products:
        product_id = getattr(product, "pk", None)
        allowed = {
            priority_id
            for contract_product_id, priority_id in listed
            if contract_product_id is None or contract_product_id == product_id
        }
        if not allowed:
            if every_ids is None:
                every_ids = set(Priority.objects.values_list("pk", flat=True))
            allowed = every_ids
        by_product[product_id] = allowed
    return by_product


def priority_is_allowed(user: User, *, product: Product | None, priority: Priority) -> bool:
    """Whether :func:`priority_queryset_allowed` holds ``priority``, from the contracts' rows
    the new-request form read in this request (no second query for the service's check)."""
    if user.is_agent or user.is_superuser or user.organization_id is None:
        return True
    product_id = getattr(product, "pk", None)
    allowed = {
        priority_id
        for contract_product_id, priority_id in _contract_priorities(user)
        if contract_product_id is None or contract_product_id == product_id
    }
    return not allowed or priority.pk in allowed


def _contract_priorities(user: User) -> list[tuple[int | None, int]]:
    """(product id or None, priority id) of the company's contracts in force today that list
    priorities; remembered on ``user`` for the request (``core.memo``: a contract's change
    forgets it)."""
    today = timezone.localdate()

    def read() -> list[tuple[int | None, int]]:
        # Compiled once per process: the new-request form asks on every GET and POST
        # (core/statements.py; docs/performance.md, "Seventh round").
        values = {"organization_id": user.organization_id, "day": today}
        return _CONTRACT_PRIORITIES.rows(None, values)

    return remembered(user, f"contract_priorities_{user.organization_id}_{today}", read)


def _contract_priorities_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return (
        Contract.objects.in_force(values["day"])
        .filter(organization_id=values["organization_id"], priorities__isnull=False)
        .values_list("product_id", "priorities")
    )


_CONTRACT_PRIORITIES: KeptStatement[None, Any] = KeptStatement(_contract_priorities_build)


def product_queryset_for_customer(user: User, *, desk: Desk | None = None) -> QuerySet[Product]:
    """Active products a customer files under: the desk's, narrowed to the company's own
    products when the company has any listed."""
    products = Product.objects.filter(is_active=True)
    if desk is not None:
        products = products.filter(desks=desk)
    if (
        user.organization_id is not None
        and OrganizationProduct.objects.filter(organization_id=user.organization_id).exists()
    ):
        products = products.filter(organization_links__organization_id=user.organization_id)
    return products


def _company_products_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Any]:
    return OrganizationProduct.objects.filter(
        organization_id=values["organization_id"]
    ).values_list("product_id")


_COMPANY_PRODUCTS: KeptStatement[None, Any] = KeptStatement(_company_products_build)


def company_product_ids(user: User) -> frozenset[int] | None:
    """The products ``user``'s company has listed, or None when it lists none (then every
    product is theirs). One query, remembered on the user object (``core.memo``)."""
    organization_id = user.organization_id
    if organization_id is None:
        return None

    def read() -> frozenset[int] | None:
        # Compiled once per process (core/statements.py; docs/performance.md, "Seventh round").
        rows = _COMPANY_PRODUCTS.rows(None, {"organization_id": organization_id})
        return frozenset(product_id for (product_id,) in rows) or None

    return remembered(user, f"company_products_{organization_id}", read)


def products_for_customer(user: User, products: Sequence[Product]) -> list[Product]:
    """Those of ``products`` (a desk's) that a customer files under: the active ones, narrowed
    to the company's own products when it has any listed — what
    :func:`product_queryset_for_customer` selects, from rows the caller has."""
    listed = company_product_ids(user)
    return [p for p in products if p.is_active and (listed is None or p.pk in listed)]


def request_type_queryset_for_customer() -> QuerySet[RequestType]:
    return RequestType.objects.filter(is_active=True, desk__is_active=True)
