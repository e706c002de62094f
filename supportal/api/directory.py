"""Customers, companies, desks, request types, priorities and search through the API.

Customers and companies are the support team's (as in the workspace): customers calling these
get 403. Desks, request types and priorities are read by everyone, as the new-request form
shows them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from supportal.accounts.models import Organization, User
from supportal.accounts.services import (
    customer_invite,
    customer_register,
    customer_update,
    organization_find_or_create,
    organization_update,
)
from supportal.api.base import user_of
from supportal.api.schemas import (
    CompanyChangeIn,
    CompanyIn,
    CompanyOut,
    CustomerChangeIn,
    CustomerIn,
    CustomerOut,
    DeskOut,
    PriorityOut,
    Problem,
)
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.desks.models import Desk, Priority, Product, RequestType

router = Router()

ERRORS = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
FIND_MAX = 50


def _support_only(user: User) -> None:
    if not (user.is_agent or user.is_superuser):
        raise PermissionRefused(_("Only the support team sees and registers customers."))


def _customer(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "company": None
        if user.organization is None
        else {"id": user.organization.pk, "name": user.organization.name},
        "is_customer_admin": user.is_customer_admin,
        "is_active": user.is_active,
        "has_password": user.has_usable_password(),
        "language": user.language,
        "time_zone": user.time_zone,
    }


def _customers() -> object:
    return User.objects.filter(is_agent=False, is_superuser=False).select_related("organization")


class FindQuery(Schema):
    q: str = Field("", description="Part of a name, an e-mail address or a phone number.")
    company: int | None = None
    limit: int = Field(20, ge=1, le=FIND_MAX)


@router.get("/customers", response={200: list[CustomerOut], **ERRORS}, tags=["customers"])
def customer_find(request: HttpRequest, query: Query[FindQuery]) -> list[dict]:
    """Find customers (support team only)."""
    user = user_of(request)
    _support_only(user)
    customers = _customers()
    text = query.q.strip()
    if text:
        customers = customers.filter(  # type: ignore[attr-defined]
            Q(email__icontains=text)
            | Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(phone__icontains=text)
        )
    if query.company is not None:
        customers = customers.filter(organization_id=query.company)  # type: ignore[attr-defined]
    return [_customer(c) for c in customers.order_by("email")[: query.limit]]  # type: ignore[attr-defined]


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def customer_get(request: HttpRequest, customer_id: int) -> dict:
    user = user_of(request)
    _support_only(user)
    found = _customers().filter(pk=customer_id).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(_("There is no such customer."))
    return _customer(found)


@router.post("/customers", response={201: CustomerOut, **ERRORS}, tags=["customers"])
def customer_create(request: HttpRequest, body: CustomerIn) -> Status:
    """Register a customer (as the workspace's phone registration), invited by default; an
    existing address is returned as it is (never moved to another company)."""
    user = user_of(request)
    _support_only(user)
    try:
        # As the workspace's form checks it; the service keeps mailed addresses as they came.
        validate_email(body.email.strip())
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from None
    existing = User.objects.filter(email__iexact=body.email.strip()).first()
    if existing is not None and (existing.is_agent or existing.is_superuser):
        raise InvalidInput(
            _("%(email)s belongs to the support team, not to a customer.") % {"email": body.email},
            field="email",
        )
    organization = None
    if body.company_id is not None:
        organization = Organization.objects.filter(pk=body.company_id).first()
        if organization is None:
            raise InvalidInput(_("There is no such company."), field="company_id")
    customer = customer_register(
        email=body.email,
        invited_by=user,
        is_invited=body.invite,
        organization=organization,
        new_company=body.new_company,
        first_name=body.first_name,
        last_name=body.last_name,
        phone=body.phone,
        language=body.language,
    )
    customer.refresh_from_db()
    return Status(201, _customer(customer))


@router.post(
    "/customers/{customer_id}/invite", response={200: CustomerOut, **ERRORS}, tags=["customers"]
)
def customer_invite_send(request: HttpRequest, customer_id: int) -> dict:
    """Send (again) the invitation to set a password; nothing is sent to someone who has one."""
    user = user_of(request)
    _support_only(user)
    found = _customers().filter(pk=customer_id).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(_("There is no such customer."))
    customer_invite(email=found.email, invited_by=user)
    found.refresh_from_db()
    return _customer(found)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, tags=["customers"])
def customer_change(request: HttpRequest, customer_id: int, body: CustomerChangeIn) -> dict:
    """Change a customer's name, phone, language, time zone or company admin flag (support team
    only; the flag needs the administrators' permission to change people). Only the fields
    sent change; audited as in the admin."""
    user = user_of(request)
    _support_only(user)
    found = _customers().filter(pk=customer_id).first()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(_("There is no such customer."))
    customer = customer_update(
        actor=user, customer=found, values=body.model_dump(exclude_unset=True)
    )
    customer.refresh_from_db()
    return _customer(customer)


class CompanyQuery(Schema):
    q: str = ""
    limit: int = Field(20, ge=1, le=FIND_MAX)


def _company(organization: Organization) -> dict:
    return {
        "id": organization.pk,
        "name": organization.name,
        "registration_number": organization.registration_number,
        "is_active": organization.is_active,
        "language": organization.language,
        "time_zone": organization.time_zone,
        "shares_requests": organization.shares_requests,
        "shares_attachments": organization.shares_attachments,
    }


@router.get("/companies", response={200: list[CompanyOut], **ERRORS}, tags=["customers"])
def company_find(request: HttpRequest, query: Query[CompanyQuery]) -> list[dict]:
    """Find companies by name or registration number (support team only)."""
    user = user_of(request)
    _support_only(user)
    companies = Organization.objects.all()
    if query.q.strip():
        companies = companies.filter(
            Q(name__icontains=query.q.strip()) | Q(registration_number__icontains=query.q.strip())
        )
    return [_company(c) for c in companies.order_by("name", "pk")[: query.limit]]


@router.post(
    "/companies", response={201: CompanyOut, 200: CompanyOut, **ERRORS}, tags=["customers"]
)
def company_create(request: HttpRequest, body: CompanyIn) -> Status:
    """Register a company; one of that name already there is returned (200), not duplicated."""
    organization, created = organization_find_or_create(
        actor=user_of(request), name=body.name, registration_number=body.registration_number
    )
    return Status(201 if created else 200, _company(organization))


@router.patch("/companies/{company_id}", response={200: CompanyOut, **ERRORS}, tags=["customers"])
def company_change(request: HttpRequest, company_id: int, body: CompanyChangeIn) -> dict:
    """Change a company's name, registration number, language, time zone or sharing (support
    team only). Only the fields sent change; audited as in the admin."""
    user = user_of(request)
    _support_only(user)
    found = Organization.objects.filter(pk=company_id).first()
    if found is None:
        raise NotFound(_("There is no such company."))
    return _company(
        organization_update(
            actor=user, organization=found, values=body.model_dump(exclude_unset=True)
        )
    )


@router.get("/desks", response={200: list[DeskOut], **ERRORS}, tags=["configuration"])
def desk_list(request: HttpRequest) -> list[dict]:
    """The desks that take requests, with their request types and products."""
    desks = Desk.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "request_types",
            queryset=RequestType.objects.filter(is_active=True).order_by("position", "name"),
        ),
        Prefetch("products", queryset=Product.objects.filter(is_active=True).order_by("name")),
    )
    return [
        {
            "id": desk.pk,
            "key": desk.key,
            "name": desk.name,
            "is_active": desk.is_active,
            "summary_max_length": desk.summary_max_length,
            "attachment_max_bytes": desk.attachment_max_bytes,
            "request_types": [{"id": t.pk, "name": t.name} for t in desk.request_types.all()],
            "products": [{"id": p.pk, "name": p.name} for p in desk.products.all()],
        }
        for desk in desks.order_by("key")
    ]


@router.get("/priorities", response={200: list[PriorityOut], **ERRORS}, tags=["configuration"])
def priority_list(request: HttpRequest) -> list[dict]:
    return [
        {"id": p.pk, "name": p.name, "rank": p.rank, "is_default": p.is_default}
        for p in Priority.objects.order_by("rank", "pk")
    ]
