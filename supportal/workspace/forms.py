"""Forms of the agent workspace: they parse and validate input; services decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from html import escape
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import Organization, User
from supportal.accounts.selectors import StaffKind, staff_kind, staff_stand_in
from supportal.core.errors import InvalidInput
from supportal.core.forms import (
    LabelledModelChoiceField,
    ListedChoiceField,
    choice_field,
    listed_choices,
    model_choice_field,
)
from supportal.core.statements import KeptStatement
from supportal.core.widgets import (
    QuickDateInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextarea,
    QuickTextInput,
)
from supportal.desks.choices import kept_rows
from supportal.desks.forms import custom_form_field
from supportal.desks.models import (
    CustomField,
    Desk,
    DeskMembership,
    Priority,
    Product,
    RequestType,
)
from supportal.replies.placeholders import PLACEHOLDERS, placeholders_unknown
from supportal.tickets import services as ticket_services
from supportal.tickets.models import SubmissionMethod, Ticket
from supportal.tickets.workflow import Status
from supportal.workspace.queues import DEFAULT_QUEUE, QUEUES, SORTS


class QuickDayInput(QuickDateInput):
    """A day picker (``type="date"``, ISO days), written without templates (core/widgets.py)."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _type_with_desk(request_type: RequestType) -> str:
    return f"{request_type.name} ({request_type.desk.key})"


def _my_desk_ids(user: User) -> QuerySet[DeskMembership, Any] | None:
    """A subquery of the desks ``user`` works (None: all, for administrators), so that lists
    built on it cost no query of their own."""
    if user.is_superuser:
        return None
    if not user.is_agent:
        return DeskMembership.objects.none().values("desk_id")
    return DeskMembership.objects.filter(user=user).values("desk_id")


def desks_of(user: User) -> QuerySet[Desk]:
    desk_ids = _my_desk_ids(user)
    desks = Desk.objects.filter(is_active=True)
    return desks if desk_ids is None else desks.filter(pk__in=desk_ids)


def agents_of_desks(user: User) -> QuerySet[User]:
    """The support team members who share a desk with ``user`` (everyone, for administrators)."""
    desk_ids = _my_desk_ids(user)
    members = DeskMembership.objects.all()
    if desk_ids is not None:
        members = members.filter(desk_id__in=desk_ids)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by(
        "first_name", "last_name", "email"
    )


def _desks_or_agents(shape: tuple[str, StaffKind], values: Mapping[str, Any]) -> QuerySet:
    """``desks_of`` or ``agents_of_desks`` for the user of ``values``: the queue page reads
    both on every request, each by a statement compiled once per process and kind of user
    (``core.statements.KeptStatement``; docs/performance.md, "Eighth round: the agent
    queue")."""
    which, kind = shape
    user = staff_stand_in(values["user"], kind)
    return desks_of(user) if which == "desks" else agents_of_desks(user)


_DESKS_AND_AGENTS: KeptStatement[tuple[str, StaffKind], Any] = KeptStatement(_desks_or_agents)


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Invalid values are ignored, never trusted."""

    view = forms.ChoiceField(choices=(), required=False, widget=QuickSelect)
    q = forms.CharField(label=_("Text"), required=False, max_length=200, widget=QuickTextInput)
    desk = ListedChoiceField(
        Desk.objects.none(), label=_("Desk"), required=False, widget=QuickSelect
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Status.choices], required=False, widget=QuickSelect
    )
    priority = ListedChoiceField(
        Priority.objects.none(), label=_("Priority"), required=False, widget=QuickSelect
    )
    request_type = ListedChoiceField(
        RequestType.objects.none(),
        label=_("Type"),
        required=False,
        widget=QuickSelect,
        label_of=_type_with_desk,
    )
    product = ListedChoiceField(
        Product.objects.none(),
        label=_("Product"),
        required=False,
        widget=QuickSelect,
    )
    company = forms.CharField(
        label=_("Company"),
        required=False,
        max_length=200,
        help_text=_("Name or registration number"),
        widget=QuickTextInput,
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"), choices=(), required=False, widget=QuickSelect
    )
    created_from = forms.DateField(label=_("Created from"), required=False, widget=QuickDayInput())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=QuickDayInput())
    updated_from = forms.DateField(label=_("Updated from"), required=False, widget=QuickDayInput())
    updated_to = forms.DateField(label=_("Updated to"), required=False, widget=QuickDayInput())
    sort = forms.ChoiceField(label=_("Sort by"), choices=(), required=False, widget=QuickSelect)

    FILTER_FIELDS = (
        "q",
        "desk",
        "status",
        "priority",
        "request_type",
        "product",
        "company",
        "assignee",
        "created_from",
        "created_to",
        "updated_from",
        "updated_to",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Each list is read once, for the form and the page's menus alike; what only the
        # administration changes once per process (docs/performance.md, "Fifth round").
        kind = staff_kind(user)
        self.desks: list[Desk] = _DESKS_AND_AGENTS.rows(("desks", kind), {"user": user.pk})
        desk_ids = [desk.pk for desk in self.desks]
        self.agents: list[User] = _DESKS_AND_AGENTS.rows(("agents", kind), {"user": user.pk})
        self.priorities = kept_rows(self.desks, "priorities", Priority.objects.all)
        choice_field(self, "view").choices = [(key, q.label) for key, q in QUEUES.items()]
        listed_choices(self, "desk", Desk.objects.all(), self.desks)
        listed_choices(self, "priority", Priority.objects.all(), self.priorities)
        listed_choices(
            self,
            "request_type",
            RequestType.objects.all(),
            kept_rows(
                self.desks,
                "request_types_of_desks",
                lambda: RequestType.objects.filter(desk__in=desk_ids).select_related("desk"),
            ),
        )
        listed_choices(
            self,
            "product",
            Product.objects.all(),
            kept_rows(self.desks, "active_products", Product.objects.filter(is_active=True).all),
        )
        choice_field(self, "sort").choices = [("", _("Best match / last update"))] + [
            (key, sort.label) for key, sort in SORTS.items()
        ]
        choice_field(self, "assignee").choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *((str(agent.pk), str(agent)) for agent in self.agents),
        ]

    def queue_key(self) -> str:
        key = self.cleaned_data.get("view") if self.is_bound and self.is_valid() else ""
        return key if key in QUEUES else DEFAULT_QUEUE

    def filters_set(self) -> dict[str, Any]:
        """The valid values the agent set (the text, the queue and the sort among them)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def filter_fields_html(self) -> SafeString:
        """The filters' labels and inputs (all but the text, the queue and the sort), as the
        queue page's template loop wrote them, without a template lookup per field
        (docs/performance.md, "Sixth round")."""
        return mark_safe(  # noqa: S308 - the labels and ids are escaped, the widgets safe
            "".join(
                f'\n          <div><label for="{escape(str(field.id_for_label))}">'
                f"{escape(str(field.label))}</label>{field}</div>\n        "
                for field in self
                if field.name not in ("q", "view", "sort")
            )
        )

    def has_filters(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.FILTER_FIELDS)

    def filter_count(self) -> int:
        """How many filters other than the text are set (shown on the collapsed filters)."""
        if not self.is_bound:
            return 0
        return sum(1 for name in self.FILTER_FIELDS if name != "q" and self.data.get(name))


def tickets_filtered(
    tickets: QuerySet[Ticket], data: Mapping[str, Any], *, user: User
) -> QuerySet[Ticket]:
    """``tickets`` narrowed by the queue's filters in ``data`` (valid values only; a desk as
    a row or its key), the text excepted (searched apart)."""
    for name in ("desk", "status", "priority", "request_type", "product"):
        if name in data:
            tickets = tickets.filter(**{name: data[name]})
    if "company" in data:
        company = data["company"].strip()
        tickets = tickets.filter(
            Q(organization__name__icontains=company)
            | Q(organization__registration_number__iexact=company)
        )
    assignee = data.get("assignee")
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=int(assignee))
    for name in ("created", "updated"):
        start, end = data.get(f"{name}_from"), data.get(f"{name}_to")
        if start:
            tickets = tickets.filter(**{f"{name}_at__gte": _day_start(start)})
        if end:
            tickets = tickets.filter(**{f"{name}_at__lt": _day_start(end + dt.timedelta(days=1))})
    return tickets


def _day_start(day: dt.date) -> dt.datetime:
    # Days are the agent's days (the site's time zone), not UTC's.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RegisterRequestForm(forms.Form):
    """A request received by phone or e-mail, registered by an agent for a customer."""

    submission_method = forms.ChoiceField(
        label=_("Received by"),
        choices=[
            (SubmissionMethod.PHONE, SubmissionMethod.PHONE.label),
            (SubmissionMethod.EMAIL, SubmissionMethod.EMAIL.label),
        ],
        initial=SubmissionMethod.PHONE,
        widget=forms.RadioSelect,
    )
    desk = forms.ModelChoiceField(Desk.objects.none(), label=_("Desk"), empty_label=None)
    email = forms.EmailField(label=_("Customer's e-mail address"))
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    organization = forms.ModelChoiceField(
        Organization.objects.filter(is_active=True),
        label=_("Company"),
        required=False,
        help_text=_("For a new customer; an existing customer keeps their company."),
    )
    new_company = forms.CharField(label=_("or a new company"), required=False, max_length=200)
    contact_phone = forms.CharField(label=_("Contact number"), required=False, max_length=40)
    language = forms.ChoiceField(
        label=_("Language the customer is written to"),
        required=False,
        choices=lambda: [
            ("", _("As they write (detected), else their company's or the site's")),
            *settings.LANGUAGES,
        ],
        help_text=_("For a new customer, or one who has not chosen a language."),
    )
    summary = forms.CharField(label=_("Summary"), max_length=255)
    details = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea)
    request_type = LabelledModelChoiceField(
        RequestType.objects.none(), label=_("Type"), required=False, label_of=_type_with_desk
    )
    priority = forms.ModelChoiceField(Priority.objects.all(), label=_("Priority"), required=False)
    product = forms.ModelChoiceField(
        Product.objects.filter(is_active=True), label=_("Product"), required=False
    )
    is_duplicate_checked = forms.BooleanField(
        label=_("I have checked the open requests: this is a new one"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desks = desks_of(user)
        model_choice_field(self, "desk").queryset = desks
        model_choice_field(self, "request_type").queryset = RequestType.objects.filter(
            desk__in=desks, is_active=True
        ).select_related("desk")
        default = Priority.objects.filter(is_default=True).first()
        if default:
            self.fields["priority"].initial = default.pk
        # Every desk's custom fields, named per desk; only the chosen desk's count (the page's
        # script shows only those).
        self.custom_fields = list(
            CustomField.objects.filter(desk__in=desks).order_by("desk_id", "position", "pk")
        )
        for field in self.custom_fields:
            form_field = custom_form_field(field)
            form_field.widget.attrs["data-desk"] = str(field.desk_id)
            self.fields[_custom_name(field)] = form_field

    def custom_fields_by_desk(self) -> list[tuple[int, list[forms.BoundField]]]:
        """The custom fields' inputs, grouped by desk, for the template."""
        groups: dict[int, list[forms.BoundField]] = {}
        for field in self.custom_fields:
            groups.setdefault(field.desk_id, []).append(self[_custom_name(field)])
        return list(groups.items())

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data
        if data.get("organization") and (data.get("new_company") or "").strip():
            self.add_error("new_company", _("Choose a company or name a new one, not both."))
        data["custom_fields"] = self._custom_values(data.get("desk"), data.get("request_type"))
        return data

    def _custom_values(self, desk: Desk | None, request_type: RequestType | None) -> dict:
        """The chosen desk's custom fields for the chosen type, checked by the service."""
        if desk is None:
            return {}
        values: dict[str, object] = {}
        for field in self.custom_fields:
            if field.desk_id != desk.pk or field.request_type_id not in (
                None,
                getattr(request_type, "pk", None),
            ):
                continue
            value = self.cleaned_data.get(_custom_name(field))
            if value in (None, ""):
                if field.is_required and _custom_name(field) not in self.errors:
                    self.add_error(_custom_name(field), _("This field is required."))
                continue
            values[field.name] = str(value) if isinstance(value, Decimal) else value
            if isinstance(value, dt.date):
                values[field.name] = value.isoformat()
        if self.errors:
            return values
        try:
            return ticket_services.custom_fields_clean(
                desk=desk, request_type=request_type, values=values
            )
        except InvalidInput as exc:
            names = {f.name: _custom_name(f) for f in self.custom_fields if f.desk_id == desk.pk}
            self.add_error(names.get(exc.field or ""), exc.message)
            return values


def _custom_name(field: CustomField) -> str:
    return f"cf_{field.desk_id}_{field.name}"


class QuoteForm(forms.Form):
    # On every ticket page: its widgets are written without templates (core/widgets.py).
    price = forms.DecimalField(
        label=_("Price"),
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        widget=QuickNumberInput(),
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, initial="RON", widget=QuickTextInput()
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=QuickDayInput())
    note = forms.CharField(label=_("Note"), required=False, widget=QuickTextarea(attrs={"rows": 2}))


class CannedReplyForm(forms.Form):
    desk = forms.ModelChoiceField(Desk.objects.none(), label=_("Desk"), empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Placeholders: {requester_name}, {first_name}, {company}, {contract}, "
            "{sla_deadline}, {reference}, {agent_name}"
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        # Every language's text of the reply is checked, whatever fields the form has.
        for name, value in list(data.items()):
            if not (name == "body" or name.startswith("body_")) or not isinstance(value, str):
                continue
            unknown = placeholders_unknown(value)
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholder: %(names)s. Known ones: %(known)s.")
                    % {
                        "names": ", ".join("{" + n + "}" for n in unknown),
                        "known": ", ".join("{" + n + "}" for n in PLACEHOLDERS),
                    },
                )
        return data

    def __init__(self, *args: Any, desks: QuerySet[Desk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "desk").queryset = desks
