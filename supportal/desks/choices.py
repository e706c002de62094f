"""What only the administration changes — priorities, request types, products, custom fields —
read once per process for each version of the desks' configuration (docs/performance.md,
"Fifth round").

The version is each desk's ``updated_at``: every save or delete of a priority, request type,
product or custom field, and every change of a desk's products, moves the ``updated_at`` of
every desk (``desks_touch``), in the same transaction as the change and after it; the SLA app
does the same for its policies, calendars and desk settings, which it keeps here too. A page has
read its desk (or the agent's desks) anyway, so it knows the version without asking: a page
served after the change reads the rows again, in every process, and one served before may at
worst keep rows newer than its version until the next change. A change written around the ORM
(``QuerySet.update``, SQL) must call ``desks_touch`` itself.

Only rows that are the same for every reader are kept; whatever depends on the person (a
company's products, a contract's priorities) is read per request. Each caller gets copies of
the kept instances, so nothing it caches on them (a related row, an attribute) is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import get_language

from supportal.desks.models import CustomField, Desk, Priority, Product, RequestType

T = TypeVar("T")

# (what, language, the desks' ids and versions) -> rows. Bounded: a change of version leaves the old
# entries behind, dropped all at once when there are too many.
_KEPT: dict[tuple[object, ...], list[Any]] = {}
_KEPT_MAX = 512


def kept_rows(desks: Iterable[Desk], what: str, read: Callable[[], Iterable[T]]) -> list[T]:
    """``read()``'s rows, read once per process for this version of ``desks`` (copies).

    ``read`` must depend on nothing but the desks' configuration and the active language
    (never on the user). With no desk, or a desk not saved yet, the rows are read every time.
    """
    versions = tuple((desk.pk, desk.updated_at) for desk in desks)
    if not versions or any(pk is None or at is None for pk, at in versions):
        return list(read())
    # The rows' order follows their names in the active language (modeltranslation).
    key = (what, get_language(), versions)
    rows = _KEPT.get(key)
    if rows is None:
        rows = list(read())
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        _KEPT[key] = rows
    return [_row_copy(row) for row in rows]


def _row_copy(row: T) -> T:
    """What ``copy.copy`` gives for a model instance (its own ``__dict__`` and ``_state``, the
    related rows it holds shared), without the pickling protocol's round trip, which cost
    several times more for the fifty rows a new-request form copies (docs/performance.md,
    "Seventh round")."""
    new = object.__new__(type(row))
    attributes = row.__dict__.copy()
    state = attributes["_state"]
    fresh = object.__new__(type(state))
    fresh.__dict__.update(state.__dict__)
    if "fields_cache" in state.__dict__:
        fresh.fields_cache = state.__dict__["fields_cache"].copy()
    attributes["_state"] = fresh
    new.__dict__.update(attributes)
    return new


def priorities_kept(desk: Desk) -> list[Priority]:
    """Every priority, most urgent first (``Priority``'s order)."""
    return kept_rows([desk], "priorities", Priority.objects.all)


def request_types_kept(desk: Desk, *, is_active: bool = True) -> list[RequestType]:
    """The desk's request types (only the active ones unless ``is_active`` is False), in the
    desk's order."""
    if not is_active:
        return kept_rows([desk], "request_types_all", desk.request_types.all)
    return kept_rows([desk], "request_types", lambda: desk.request_types.filter(is_active=True))


def products_kept(desk: Desk) -> list[Product]:
    """The desk's products, active or not, by name."""
    return kept_rows([desk], "products", desk.products.all)


def custom_fields_kept(desk: Desk) -> list[CustomField]:
    """The desk's custom fields, in the desk's order (position, then name), each with its
    request type."""
    return kept_rows(
        [desk], "custom_fields", lambda: desk.custom_fields.select_related("request_type")
    )


def desks_touch(*args: Any, **kwargs: Any) -> None:
    """Move every desk's ``updated_at``: what ``kept_rows`` keeps is read again in every
    process (this one forgets it at once, whatever the clock says). A signal receiver too
    (connected by ``choices_signals_connect``)."""
    Desk.objects.update(updated_at=timezone.now())
    _KEPT.clear()


def forget_kept() -> None:
    """Drop every kept row of this process (tests that change rows around the ORM)."""
    _KEPT.clear()


def choices_signals_connect() -> None:
    """Touch the desks whenever a priority, request type, product or custom field is saved or
    deleted, or a desk's products change."""
    for model in (Priority, RequestType, Product, CustomField):
        post_save.connect(desks_touch, sender=model, dispatch_uid=f"desks-touch-{model.__name__}")
        post_delete.connect(
            desks_touch, sender=model, dispatch_uid=f"desks-touch-d-{model.__name__}"
        )
    m2m_changed.connect(
        _desk_products_changed, sender=Desk.products.through, dispatch_uid="desks-touch-products"
    )


def _desk_products_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        desks_touch()
