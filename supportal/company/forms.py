"""Forms of the company pages; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import Contact
from supportal.company.models import Download, NewsletterList, Topic
from supportal.core.forms import model_choice_field
from supportal.desks.models import Product


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["last_name", "first_name", "gender", "title", "mobile", "email", "function"]


class ContactSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )

    def value(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "") if self.is_valid() else ""


class SubscriptionsForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(
        label=_("Newsletters"),
        queryset=NewsletterList.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offered is not None:
            model_choice_field(self, "newsletters").queryset = offered


class DownloadFilterForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("All")
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(
        self,
        *args: Any,
        products: QuerySet[Product] | None = None,
        topics: QuerySet[Topic] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "product").queryset = (
            products if products is not None else Product.objects.all()
        )
        model_choice_field(self, "topic").queryset = (
            topics if topics is not None else Topic.objects.all()
        )

    def value(self, name: str) -> int | None:
        if not self.is_valid() or self.cleaned_data.get(name) is None:
            return None
        return self.cleaned_data[name].pk


class DownloadPublishForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all())
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.all())
    title = forms.CharField(label=_("Title"), max_length=200)
    version = forms.CharField(label=_("Version"), max_length=40, required=False)
    released_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea)
    file = forms.FileField(label=_("File"))
    notify_subscribers = forms.BooleanField(
        label=_("Tell the subscribers of this product's newsletters"), required=False
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_file_clean = super().clean
        items = data if isinstance(data, (list, tuple)) else [data]
        return [single_file_clean(item, initial) for item in items if item]


class IssueForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea)
    download = forms.ModelChoiceField(
        label=_("Link a download"),
        queryset=Download.objects.select_related("product").order_by("-released_on", "-pk"),
        required=False,
        help_text=_("A download reaches subscribers as a link to the permission-checked page."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Attached to every subscriber's mail; keep them small."),
    )
