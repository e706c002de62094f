"""Each person's language and time zone, for every page they see (docs/languages.md)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation

from supportal.accounts.languages import browser_language, recipient_language, site_language

# The probes of docs/deploy.md answer machines, in no language or time zone, and must work when
# the database or the cache (where the site's language lives) does not.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _is_probe(request: HttpRequest) -> bool:
    return request.path_info in PROBE_PATHS


class UserTimeZoneMiddleware:
    """After authentication: dates and times show in the person's time zone, else their
    company's, else the site's (docs/languages.md). Anonymous visitors: the site's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from supportal.accounts.languages import recipient_time_zone

        if _is_probe(request):
            return self.get_response(request)
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


class UserLanguageMiddleware(LocaleMiddleware):
    """The browser's language (the switcher's cookie, else Accept-Language), else the site's
    (``PortalSettings``); no URL prefixes, so links in e-mails stay stable. A logged-in user's
    language wins: see below."""

    def process_request(self, request: HttpRequest) -> None:
        if _is_probe(request):
            return
        language = browser_language(request) or site_language()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ActivateUserLanguageMiddleware:
    """After authentication: the person's language (docs/languages.md: their choice, their
    company's, what they wrote in, their browser's) overrides the browser's. The browser's
    language on their first visit is stored, for the mails they receive later."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if _is_probe(request) or not (user and user.is_authenticated):
            return self.get_response(request)
        browser = browser_language(request)
        if browser and not user.browser_language and not user.is_company_account:
            from supportal.accounts.services import user_language_learn

            user_language_learn(user=user, browser=browser)
        language = recipient_language(user, browser=browser)
        if not language or language not in dict(settings.LANGUAGES):
            return self.get_response(request)
        previous = translation.get_language()
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            # Hand the thread back as the browser's language left it, for what runs after us.
            if previous:
                translation.activate(previous)
            else:
                translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorMiddleware:
    """After authentication: a session that still owes its second step, or must enrol first
    (``accounts.services.twofactor``), reaches only those pages and log-out; everything else
    redirects there, with ``next`` kept (docs/security.md#two-factor-sign-in). One session read
    per request: the state was decided when the session was created."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        from supportal.accounts.services import twofactor

        user = getattr(request, "user", None)
        if _is_probe(request) or user is None or not user.is_authenticated:
            return self.get_response(request)
        state = request.session.get(twofactor.SESSION_KEY, twofactor.OK)
        if state == twofactor.OK:
            return self.get_response(request)
        target = "accounts:twofactor_verify" if state == twofactor.VERIFY else "accounts:twofactor"
        allowed = {
            reverse(target),
            reverse("logout"),
            reverse("accounts:language"),
            reverse("accounts:twofactor_passkey_login_options"),
            reverse("accounts:twofactor_passkey_login"),
        }
        static = "/" + settings.STATIC_URL.lstrip("/")
        if request.path_info in allowed or request.path_info.startswith(static):
            return self.get_response(request)
        query = ""
        if request.method == "GET" and request.path_info != "/":
            query = "?" + urlencode({"next": request.get_full_path()})
        return redirect(reverse(target) + query)
