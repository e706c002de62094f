"""Forms of the account pages. They parse and validate; the services change things."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from supportal.accounts.backends import login_refusal_of
from supportal.accounts.models import SignupMode, User


class LoginForm(AuthenticationForm):
    """E-mail, password and "Keep me logged in"; a throttled attempt says how long to wait."""

    remember_me = forms.BooleanField(label=_("Keep me logged in"), required=False)

    def get_invalid_login_error(self) -> ValidationError:
        refusal = login_refusal_of(self.request)
        if refusal is not None:
            return ValidationError(refusal.message(), code="throttled")
        return ValidationError(
            _("The e-mail address or the password is not right."),
            code="invalid_login",
        )


class AdminLoginForm(AdminAuthenticationForm):
    """The administration site's log-in: a locked account is told it is locked, not that the
    password is wrong (the throttle counts this form like every other)."""

    def get_invalid_login_error(self) -> ValidationError:
        refusal = login_refusal_of(self.request)
        if refusal is not None:
            return ValidationError(refusal.message(), code="throttled")
        return super().get_invalid_login_error()


class CompanyLoginForm(forms.Form):
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=40, help_text=_("CUI / IČO")
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember_me = forms.BooleanField(label=_("Keep me logged in"), required=False)

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        number = self.cleaned_data.get("registration_number")
        password = self.cleaned_data.get("password")
        if number and password:
            self.user_cache = authenticate(
                self.request, registration_number=number, password=password
            )
            if self.user_cache is None:
                refusal = login_refusal_of(self.request)
                if refusal is not None:
                    raise ValidationError(refusal.message(), code="throttled")
                raise ValidationError(
                    _("The registration number or the password is not right."),
                    code="invalid_login",
                )
        return self.cleaned_data

    def get_user(self) -> User | None:
        return self.user_cache


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    company_name = forms.CharField(label=_("Company"), max_length=200)
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=40, required=False, help_text=_("CUI / IČO")
    )
    message = forms.CharField(
        label=_("Why do you need access?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, mode: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if mode != SignupMode.REQUEST:
            for name in ("company_name", "registration_number", "message"):
                del self.fields[name]


def time_zone_choices() -> list[tuple[str, str]]:
    default = _("The portal's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", default), *((zone, zone) for zone in sorted(zoneinfo.available_timezones()))]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=time_zone_choices)

    class Meta:
        model = User
        fields = (
            "first_name",
            "last_name",
            "phone",
            "language",
            "time_zone",
            "has_email_notifications",
        )
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "phone": _("Phone"),
            "language": _("Language"),
            "has_email_notifications": _("E-mail notifications"),
        }


class ApiTokenForm(forms.Form):
    """A new personal access token (docs/api.md#tokens)."""

    EXPIRY_CHOICES = [
        ("30", _("30 days")),
        ("90", _("90 days")),
        ("365", _("1 year")),
        ("", _("Never")),
    ]

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use it, e.g. “monitoring” or “ERP import”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
        initial="read",
    )
    expires_in_days = forms.ChoiceField(
        label=_("Expires after"), choices=EXPIRY_CHOICES, initial="90", required=False
    )
