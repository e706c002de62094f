"""The support team changing a customer's or a company's details (docs/api.md#endpoints).

The web has no workspace page for this: the support team's administrators change them in the
admin, audited as ROLE_CHANGED (a person) and COMPANY_CHANGED (a company). These services are
the same change for the API, with the support team's rule of ``organization_find_or_create``
and ``customer_register``; a company admin flag is a role, changed only by those the admin lets
change people (``accounts.change_user``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Model
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts.models import Organization, User
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused

CUSTOMER_FIELDS = ("first_name", "last_name", "phone", "language", "time_zone", "is_customer_admin")
COMPANY_FIELDS = (
    "name",
    "registration_number",
    "language",
    "time_zone",
    "shares_requests",
    "shares_attachments",
)


def _support_only(actor: User, message: str) -> None:
    if not (actor.is_agent or actor.is_superuser):
        raise PermissionRefused(message)


def _apply(obj: Model, allowed: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, list]:
    """Clean each value as the model field does (the admin's form does the same) and set it;
    returns {field: [old, new]} of what changed. Raises InvalidInput naming the field."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    changes: dict[str, list] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        try:
            cleaned = cast(Field, obj._meta.get_field(name)).clean(value, obj)
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], field=name) from None
        old = getattr(obj, name)
        if old != cleaned:
            changes[name] = [old, cleaned]
            setattr(obj, name, cleaned)
    return changes


def _audit(actor: User, action: str, obj: Model, changes: dict[str, list]) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=obj,
        before={name: old for name, (old, _new) in changes.items()},
        after={name: new for name, (_old, new) in changes.items()},
    )


def customer_update(*, actor: User, customer: User, values: Mapping[str, Any]) -> User:
    """Change a customer's CUSTOMER_FIELDS. Raises PermissionRefused for anyone but the support
    team (and, for ``is_customer_admin``, without ``accounts.change_user``), NotFound for a
    member of the support team, InvalidInput naming a bad field. Side effects: saves what
    changed, one ROLE_CHANGED audit entry (none when nothing changed)."""
    _support_only(actor, _("Only the support team sees and registers customers."))
    if "is_customer_admin" in values and not actor.has_perm("accounts.change_user"):
        raise PermissionRefused(_("You may not change who administers a company."))
    with transaction.atomic():
        customer = User.objects.select_for_update().get(pk=customer.pk)
        if customer.is_agent or customer.is_superuser:
            raise NotFound(_("There is no such customer."))
        if values.get("is_customer_admin") and customer.organization_id is None:
            raise InvalidInput(
                _("A customer without a company cannot administer one."),
                field="is_customer_admin",
            )
        changes = _apply(customer, CUSTOMER_FIELDS, values)
        if changes:
            customer.save(update_fields=list(changes))
            _audit(actor, Action.ROLE_CHANGED, customer, changes)
    return customer


def organization_update(
    *, actor: User, organization: Organization, values: Mapping[str, Any]
) -> Organization:
    """Change a company's COMPANY_FIELDS (the support team only). A name is kept on one line
    and may not be another company's, as ``organization_find_or_create`` finds companies by
    name. Side effects: saves what changed, one COMPANY_CHANGED audit entry."""
    _support_only(actor, _("Only the support team registers companies."))
    values = dict(values)
    if "name" in values:
        values["name"] = " ".join(str(values["name"] or "").split())
        if not values["name"]:
            raise InvalidInput(_("Name the company."), field="name")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        changes = _apply(organization, COMPANY_FIELDS, values)
        if "name" in changes and (
            Organization.objects.filter(name__iexact=organization.name)
            .exclude(pk=organization.pk)
            .exists()
        ):
            raise InvalidInput(_("Another company has that name."), field="name")
        if changes:
            organization.save(update_fields=list(changes))
            _audit(actor, Action.COMPANY_CHANGED, organization, changes)
    return organization
