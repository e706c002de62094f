"""A request's product, request type and priority from its desk's kept rows.

The request page and the ticket page read the request without joining these three
(``selectors.ticket_get_for_user(with_names=False)``): with them, PostgreSQL spent several
times the statement's run planning its nine joins on every request (docs/performance.md,
"Twelfth round: the request page").
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from django.db.models import Model

from supportal.desks.choices import priorities_kept, products_kept, request_types_kept
from supportal.desks.models import Priority, Product, RequestType
from supportal.tickets.models import Ticket


def names_kept(ticket: Ticket) -> tuple[list[Priority], list[RequestType], list[Product]]:
    """The desk's priorities, active request types and products, kept per process (the
    page's menus), and the request's own among them when it was read without them
    (``ticket_get_for_user(with_names=False)``: three joins fewer, docs/performance.md, "Sixth
    round"). One not among them (a type made inactive, a product taken off the desk) is read
    when first used, as before."""
    priorities = priorities_kept(ticket.desk)
    request_types = request_types_kept(ticket.desk)
    products = products_kept(ticket.desk)
    named: list[tuple[str, Sequence[Model]]] = [
        ("priority", priorities),
        ("request_type", request_types),
        ("product", products),
    ]
    for name, rows in named:
        descriptor = getattr(Ticket, name)
        row_id = getattr(ticket, f"{name}_id")
        if row_id is None or descriptor.is_cached(ticket):
            continue
        row = next((row for row in rows if row.pk == row_id), None)
        if row is not None:
            descriptor.field.set_cached_value(ticket, copy.copy(row))
    return priorities, request_types, products
