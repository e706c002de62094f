"""Forms of the knowledge pages; the services apply the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from supportal.company.models import Topic
from supportal.desks.models import Product
from supportal.knowledge.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Visibility,
)


class PictureForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, widget=forms.HiddenInput)
    picture = forms.FileField(label=_("Add a picture"))


class ArticleForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.order_by("name"),
        required=False,
        empty_label=_("Every product"),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("name"),
        required=False,
        empty_label=_("No topic"),
    )
    visibility = forms.ChoiceField(label=_("Who may see it"), choices=Visibility.choices)


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("All")
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.order_by("name"), required=False,
        empty_label=_("All"),
    )  # fmt: skip

    def __init__(self, *args, products=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = products or Product.objects.order_by("name")

    def value(self, name: str):
        if not self.is_valid():
            return None
        value = self.cleaned_data.get(name)
        return getattr(value, "pk", value) or None


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))])
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
