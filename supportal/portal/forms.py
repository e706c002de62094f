"""The portal's forms: they parse and label; the rules themselves live in the services."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.db.models import Model
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.core.forms import (
    ListedChoiceField,
    choice_field,
    listed_choices,
    model_choice_field,
)
from supportal.core.widgets import QuickSelect
from supportal.desks.choices import (
    custom_fields_kept,
    priorities_kept,
    products_kept,
    request_types_kept,
)
from supportal.desks.forms import custom_form_field
from supportal.desks.models import CustomField, Desk, Priority, Product, RequestType
from supportal.tickets import selectors, services
from supportal.tickets.models import DETAILS_MAX_LENGTH

_Row = TypeVar("_Row", bound=Model)

STATUS_CHOICES = [
    ("open", _("Open requests")),
    ("closed", _("Closed requests")),
    ("any", _("Any status")),
]
SORT_FIELDS = {
    "updated": ("updated_at", "pk"),
    "created": ("created_at", "pk"),
    "reference": ("desk__key", "number"),
    "summary": ("summary", "pk"),
    "status": ("status", "pk"),
}


class PlainTextField(forms.CharField):
    """Text whose line breaks count once, as the browser's counter counts them."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class RequestFilterForm(forms.Form):
    # QuickSelect: the markup of Django's Select without a template per option.
    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, required=False, widget=QuickSelect
    )
    who = forms.ChoiceField(label=_("Requester"), required=False, widget=QuickSelect)
    request_type = ListedChoiceField(
        label=_("Type"),
        queryset=None,
        required=False,
        empty_label=_("Any type"),
        label_of=lambda t: f"{t.desk.name} · {t.name}",
        widget=QuickSelect,
    )
    product = ListedChoiceField(
        label=_("Product"),
        queryset=None,
        required=False,
        empty_label=_("Any product"),
        widget=QuickSelect,
    )
    q = forms.CharField(label=_("Search requests"), required=False, max_length=200)
    sort = forms.ChoiceField(required=False, widget=QuickSelect)

    def __init__(
        self, data: Mapping[str, Any] | None, *, user: User, sees_colleagues: bool
    ) -> None:
        super().__init__(data)
        who = [("", _("All I can see")), ("mine", _("Created by me"))]
        who.append(("shared", _("Shared with me")))
        if sees_colleagues:
            who.append(("company", _("Anyone in my company")))
        choice_field(self, "who").choices = who
        # Read once each, as plain lists: the menus and the check of a chosen value use them
        # (iterated at render, a queryset is read again, through a server-side cursor on
        # PostgreSQL: three round trips; docs/performance.md, "The customer's lists").
        types = selectors.request_type_queryset_for_customer().select_related("desk")
        listed_choices(self, "request_type", types, list(types))
        products = selectors.product_queryset_for_customer(user)
        listed_choices(self, "product", products, list(products))
        choice_field(self, "sort").choices = [
            (prefix + key, key) for key in SORT_FIELDS for prefix in ("", "-")
        ]

    def value(self, name: str, default: object = "") -> object:
        """The cleaned value, or the default when it was absent or not valid (a list's filters
        never refuse to show the list)."""
        self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def chosen(self, name: str, model: type[_Row]) -> _Row | None:
        """The row chosen in a list of ``model`` rows, or None when absent or not valid."""
        value = self.value(name, None)
        return value if isinstance(value, model) else None


class ColleaguesField(forms.ModelMultipleChoiceField[User]):
    """The colleagues a request is shared with, their queryset built only when something asks
    for it (the page's checkboxes, a submitted choice): most submissions name nobody, and
    building it, then compiling the empty answer Django gives for nobody, was a tenth of a
    POST's CPU (docs/performance.md, "Eighth round")."""

    def colleagues_of(self, user: User) -> None:
        self._colleagues_of = user
        self._queryset = None

    def _get_queryset(self) -> Any:
        user = getattr(self, "_colleagues_of", None)
        if self._queryset is None and user is not None:
            self.queryset = selectors.colleague_queryset(user)
        return self._queryset

    def _set_queryset(self, queryset: Any) -> None:
        # As Django's ModelChoiceField sets it.
        self._queryset = None if queryset is None else queryset.all()
        self.widget.choices = self.choices

    queryset = property(_get_queryset, _set_queryset)

    def clean(self, value: Any) -> Any:
        if not value and not self.required:
            return []  # what Django's empty queryset lists, without compiling it
        return super().clean(value)


class NewRequestForm(forms.Form):
    product = ListedChoiceField(label=_("Product"), queryset=None, required=False)
    request_type = ListedChoiceField(label=_("Request type"), queryset=None)
    summary = forms.CharField(label=_("Summary"))
    details = PlainTextField(
        label=_("Details"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    priority = ListedChoiceField(label=_("Priority"), queryset=None, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail for this request"),
        required=False,
        help_text=_("Every e-mail about this request goes here. Empty: your own address."),
    )
    participants = ColleaguesField(
        label=_("Share with colleagues"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, desk: Desk, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.desk = desk
        self.user = user
        # Each list of choices is read once, and what only the administration changes once
        # per process: whether it is required, its only choice, the page's options and the
        # submitted value's check all use the list (docs/performance.md, "Fifth round").
        listed_products = listed_choices(
            self,
            "product",
            Product.objects.all(),
            selectors.products_for_customer(user, products_kept(desk)),
        )
        self.fields["product"].required = bool(listed_products)
        if len(listed_products) == 1:
            self.fields["product"].initial = listed_products[0].pk
        model_choice_field(self, "product").empty_label = _("Choose…")
        listed_types = listed_choices(
            self, "request_type", RequestType.objects.all(), request_types_kept(desk)
        )
        self.fields["request_type"].required = bool(listed_types)
        model_choice_field(self, "request_type").empty_label = _("Choose…")
        self.fields["summary"] = forms.CharField(
            label=_("Summary"),
            max_length=desk.summary_max_length,
            help_text=ngettext(
                "At most %(limit)d character.",
                "At most %(limit)d characters.",
                desk.summary_max_length,
            )
            % {"limit": desk.summary_max_length},
        )
        self.fields["details"].help_text = ngettext(
            "At most %(limit)s character.", "At most %(limit)s characters.", DETAILS_MAX_LENGTH
        ) % {"limit": number_format(DETAILS_MAX_LENGTH, use_l10n=True, force_grouping=True)}
        offered, allowed = _priorities_offered(user, desk)
        self.fields["priority"].widget.attrs["data-allowed-by-product"] = json.dumps(allowed)
        priorities = listed_choices(self, "priority", Priority.objects.all(), offered)
        self.fields["priority"].help_text = _("As your maintenance contract defines them.")
        default = next((p for p in priorities if p.is_default), None)
        if default is not None:
            self.fields["priority"].initial = default.pk
        self.fields["contact_phone"].initial = user.phone
        if user.is_company_account:
            # A shared company log-in has no personal address (docs/requirements.md#accounts,
            # A6): the person asking names the address that receives this request's mail.
            self.fields["contact_email"].required = True
            self.fields["contact_email"].help_text = _(
                "Required: every e-mail about this request goes to this address."
            )
        else:
            self.fields["contact_email"].initial = user.email
        colleagues = self.fields["participants"]
        assert isinstance(colleagues, ColleaguesField)
        colleagues.colleagues_of(user)
        # Every field of the desk, for the check; the form asks those shown to customers.
        self.desk_custom_fields = custom_fields_kept(desk)
        self.custom_fields = [f for f in self.desk_custom_fields if f.is_visible_to_customer]
        for field in self.custom_fields:
            self.fields[f"cf_{field.name}"] = custom_form_field(field)

    def custom_bound_fields(self) -> list[tuple[forms.BoundField, CustomField]]:
        """Each custom field's form field with the desk's field it asks for (the page shows
        which request type it belongs to)."""
        return [(self[f"cf_{field.name}"], field) for field in self.custom_fields]

    def clean(self) -> dict[str, object]:
        super().clean()
        cleaned = self.cleaned_data
        request_type = cleaned.get("request_type")
        values: dict[str, object] = {}
        for field in self.custom_fields:
            if field.request_type_id not in (None, getattr(request_type, "pk", None)):
                continue  # asked for another type only: its value, if any, is dropped
            value = cleaned.get(f"cf_{field.name}")
            if value in (None, ""):
                if field.is_required and f"cf_{field.name}" not in self.errors:
                    self.add_error(f"cf_{field.name}", _("This field is required."))
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            values[field.name] = value
        if not self.errors:
            try:
                values = services.custom_fields_clean(
                    desk=self.desk,
                    request_type=request_type,
                    values=values,
                    fields=self.desk_custom_fields,
                )
            except InvalidInput as exc:
                self.add_service_error(exc)
        cleaned["custom_fields"] = values
        return cleaned

    def add_service_error(self, exc: InvalidInput) -> None:
        """Show a service's refusal at the field it names (custom fields by their name)."""
        field = exc.field
        if field and f"cf_{field}" in self.fields:
            field = f"cf_{field}"
        self.add_error(field if field in self.fields else None, exc.message)


def _priorities_offered(user: User, desk: Desk) -> tuple[list[Priority], dict[str, list[int]]]:
    # The contract may differ per product: the list holds what any of the desk's products
    # allows, and the map what each one does (forms.js narrows the list when a product is
    # chosen); the service checks the pair that is submitted.
    products: list[Product | None] = [None, *products_kept(desk)]
    priorities = priorities_kept(desk)
    by_product = selectors.priority_ids_allowed_by_product(
        user, products=products, every={p.pk for p in priorities}
    )
    ids = set().union(*by_product.values())
    allowed = {
        ("" if key is None else str(key)): sorted(value) for key, value in by_product.items()
    }
    return [p for p in priorities if p.pk in ids], allowed


class CommentForm(forms.Form):
    body = PlainTextField(
        label=_("Comment"),
        required=False,
        max_length=DETAILS_MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("A message for the agent who solved it"),
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
