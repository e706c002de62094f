"""Which language and time zone a person is written to and shown pages in (docs/languages.md).

One place decides, for pages, mails and the one-click pages alike:

    their own choice → their company's → detected from what they wrote → their browser's on
    their first portal visit → the desk's → the site's

and for the time zone: their own → their company's → the site's. The site's language and time
zone are the administrator's (``PortalSettings``), cached briefly so a page costs no query.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

if TYPE_CHECKING:
    from supportal.accounts.models import User

SITE_LOCALE_CACHE_KEY = "supportal:site-locale"
SITE_LOCALE_CACHE_SECONDS = 60

# Language identification: shorter texts are guessed too often to be trusted, and a guess
# below this probability (normalised over our three languages) is not stored.
DETECT_MIN_LETTERS = 12
DETECT_MIN_PROBABILITY = 0.8


@dataclass(frozen=True)
class SiteLocale:
    language: str
    time_zone: str


def _known(code: str | None) -> bool:
    return bool(code) and code in dict(settings.LANGUAGES)


def site_locale() -> SiteLocale:
    """The administrator's site language and time zone (``PortalSettings``), cached."""
    found = cache.get(SITE_LOCALE_CACHE_KEY)
    if isinstance(found, SiteLocale):
        return found
    from supportal.accounts.models import PortalSettings

    row = PortalSettings.load()
    found = SiteLocale(
        language=row.default_language if _known(row.default_language) else settings.LANGUAGE_CODE,
        time_zone=row.default_time_zone or settings.TIME_ZONE,
    )
    cache.set(SITE_LOCALE_CACHE_KEY, found, SITE_LOCALE_CACHE_SECONDS)
    return found


def site_locale_forget() -> None:
    from supportal.core.names import site_language_changed

    cache.delete(SITE_LOCALE_CACHE_KEY)
    site_language_changed()


def site_language() -> str:
    return site_locale().language


def _organization_locale(organization_id: int) -> SiteLocale:
    """A company's language and time zone ("" when it names none), cached like the site's so a
    page costs no query for them."""
    key = f"{SITE_LOCALE_CACHE_KEY}:organization:{organization_id}"
    found = cache.get(key)
    if isinstance(found, SiteLocale):
        return found
    from supportal.accounts.models import Organization

    row = Organization.objects.filter(pk=organization_id).values("language", "time_zone").first()
    found = SiteLocale(language=row["language"], time_zone=row["time_zone"]) if row else None
    found = found or SiteLocale(language="", time_zone="")
    cache.set(key, found, SITE_LOCALE_CACHE_SECONDS)
    return found


def organization_locale_forget(organization_id: int) -> None:
    cache.delete(f"{SITE_LOCALE_CACHE_KEY}:organization:{organization_id}")


def recipient_language(user: User | None, *, desk: Any = None, browser: str = "") -> str:
    """The language to write to ``user`` in (the chain in the module docstring).

    ``browser`` is the current request's browser language, used when nothing stored is known
    (the first visit, before it is stored). The company's and the site's settings are cached.
    """
    if user is not None:
        if _known(user.language):
            return user.language
        if user.organization_id:
            company = _organization_locale(user.organization_id).language
            if _known(company):
                return company
        for candidate in (user.detected_language, user.browser_language, browser):
            if _known(candidate):
                return candidate
    elif _known(browser):
        return browser
    if desk is not None and _known(getattr(desk, "language", "")):
        return desk.language
    return site_language()


def contact_language(contact: Any) -> str:
    """A company contact's language: their user's, else their company's, else the site's."""
    if contact.user_id:
        return recipient_language(contact.user)
    company = _organization_locale(contact.organization_id).language
    return company if _known(company) else site_language()


def recipient_time_zone(user: User | None, *, desk: Any = None) -> str:
    """The time zone to show ``user`` times in: their own, their company's, the desk's (when
    one is named: a customer written to about that desk's request), the site's."""
    if user is not None:
        if user.time_zone:
            return user.time_zone
        if user.organization_id:
            zone = _organization_locale(user.organization_id).time_zone
            if zone:
                return zone
    desk_zone = str(getattr(desk, "time_zone", "") or "")
    return desk_zone or site_locale().time_zone


def browser_language(request: HttpRequest) -> str:
    """The language the visitor's browser asks for (the switcher's cookie, else the first
    Accept-Language the portal speaks), or "" when it asks for none we speak."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if _known(cookie):
        return cookie
    header = request.headers.get("Accept-Language", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            found = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if _known(found):
            return found
    return ""


# --- Language identification ----------------------------------------------------------------

_identifier: Any = None
_identifier_lock = threading.Lock()


def _language_identifier() -> Any:
    """py3langid's model (shipped in the package, loaded once: about two seconds), limited to
    the languages the portal speaks."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                found = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                found.set_languages([code for code, _name in settings.LANGUAGES])
                _identifier = found
    return _identifier


def language_guess(text: str) -> tuple[str, float]:
    """The language ``text`` is most likely in, among the portal's, and its probability. Pure
    (after the model is loaded). Measured in docs/languages.md."""
    code, probability = _language_identifier().classify(text)
    return str(code), float(probability)


def language_detect(text: str) -> str:
    """The language of ``text`` when the guess is trustworthy, else "" (too short, unsure)."""
    text = " ".join((text or "").split())
    if sum(1 for ch in text if ch.isalpha()) < DETECT_MIN_LETTERS:
        return ""
    code, probability = language_guess(text[:2000])
    return code if probability >= DETECT_MIN_PROBABILITY and _known(code) else ""
