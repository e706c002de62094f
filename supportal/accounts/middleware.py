"""The time zone chosen in the user's profile, for every page they see."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class UserTimeZoneMiddleware:
    """After authentication: dates and times show in the person's time zone, else their
    company's, else the site's (docs/languages.md). Anonymous visitors: the site's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from supportal.accounts.languages import recipient_time_zone

        user = getattr(request, "user", None)
        zone = recipient_time_zone(user if user and user.is_authenticated else None)
        try:
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            else:
                timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
