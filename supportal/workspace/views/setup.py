"""The questions a fresh install asks its administrator on the first visit (docs/languages.md)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import PortalSettings
from supportal.company import services
from supportal.company.models import SupportLine
from supportal.core.errors import DomainError
from supportal.core.forms import choice_field
from supportal.core.http import signed_in_and
from supportal.notifications.models import NotificationSettings


class SupportLineForm(forms.Form):
    default_language = forms.ChoiceField(label=gettext_lazy("Site language"), choices=())
    default_time_zone = forms.ChoiceField(label=gettext_lazy("Site time zone"), choices=())
    team_name = forms.CharField(label=gettext_lazy("Team name"), required=False, max_length=120)
    support_email = forms.EmailField(label=gettext_lazy("Support e-mail address"))
    portal_url = forms.URLField(
        label=gettext_lazy("Portal address"), required=False, assume_scheme="https"
    )
    phone = forms.CharField(label=gettext_lazy("Telephone"), required=False, max_length=60)
    working_hours = forms.CharField(
        label=gettext_lazy("Working hours"), required=False, max_length=200
    )
    emergency_phone = forms.CharField(
        label=gettext_lazy("Emergency telephone"), required=False, max_length=60
    )
    emergency_note = forms.CharField(
        label=gettext_lazy("Emergency note"), required=False, max_length=300
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "default_language").choices = settings.LANGUAGES
        choice_field(self, "default_time_zone").choices = [
            (zone, zone) for zone in sorted(zoneinfo.available_timezones())
        ]


def _initial() -> dict[str, object]:
    site = PortalSettings.load()
    channels = NotificationSettings.load()
    line = SupportLine.objects.filter(pk=1).first() or SupportLine()
    rows: dict[str, Model] = {"default_language": site, "default_time_zone": site}
    rows |= {"emergency_phone": line, "emergency_note": line}
    return {name: getattr(rows.get(name, channels), name) for name in services.SUPPORT_LINE_FIELDS}


@signed_in_and(lambda user: user.is_superuser)
def support_line_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SupportLineForm(request.POST or None, initial=_initial())
    if request.method == "POST" and form.is_valid():
        try:
            services.support_line_setup(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The support line is saved."))
            return redirect("workspace:queue")
    return render(request, "workspace/setup.html", {"form": form})
