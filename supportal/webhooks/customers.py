"""New customer accounts as webhook deliveries, ``customer.created`` (docs/api.md#webhooks).

A listener of ``accounts.events.customer_listeners``: each active endpoint that wants
``customer_created`` (or every event), is not limited to a desk, is limited to no company or to
the customer's, and belongs to an active agent or administrator, gets a delivery in the
registration's transaction. Customers' own endpoints get none (a customer admin sees the
company's people on its contacts pages, not as events). Nothing is sent during an import.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.core.quiet import is_quiet
from supportal.webhooks.models import WebhookDelivery
from supportal.webhooks.payloads import named_data, person_data
from supportal.webhooks.services import deliveries_write, endpoints_wanting

CUSTOMER_CREATED = "customer_created"
CUSTOMER_CHOICES = [(CUSTOMER_CREATED, _("Customer account created"))]


def webhook_customer_created(user: User) -> list[WebhookDelivery]:
    """Write a ``customer.created`` delivery per endpoint that wants it. Side effect: rows."""
    if is_quiet():
        return []
    routes = [
        row
        for row in endpoints_wanting(CUSTOMER_CREATED)
        if row["desk_id"] is None and row["organization_id"] in (None, user.organization_id)
    ]
    if not routes:
        return []
    owners = User.objects.in_bulk({row["owner_id"] for row in routes})
    now = timezone.now()
    body = {
        "type": "customer.created",
        "timestamp": now,
        "data": {
            "customer": {
                **(person_data(user) or {}),
                "language": user.language,
                "company": named_data(user.organization),
            }
        },
    }
    allowed = [
        row["pk"]
        for row in routes
        if (owner := owners.get(row["owner_id"])) is not None
        and owner.is_active
        and (owner.is_agent or owner.is_superuser)
    ]
    return deliveries_write(endpoint_ids=allowed, event_type="customer.created", body=body, at=now)
