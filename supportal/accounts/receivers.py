"""Derived data kept in step with signals: the list of a user's sessions (log-in signals),
the cached site language and time zone (the settings row saved).

Signals (not the log-in view) because the administration site logs people in too, and "log
out everywhere" must end those sessions as well.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from supportal.accounts import services
from supportal.accounts.languages import organization_locale_forget, site_locale_forget
from supportal.accounts.models import Organization, PortalSettings
from supportal.accounts.services import twofactor
from supportal.accounts.throttle import client_ip


@receiver(user_logged_in, dispatch_uid="accounts.session_record")
def _session_record(sender: object, request: HttpRequest | None, user, **kwargs: object) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    if session.session_key is None:
        session.save()
    services.session_record(
        user=user,
        session_key=session.session_key,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    # Whether this new session still owes the second step or must enrol (docs/security.md).
    session[twofactor.SESSION_KEY] = twofactor.twofactor_state_at_login(
        user=user,
        trusted_token=request.COOKIES.get(twofactor.TRUSTED_COOKIE, ""),
    )


@receiver(user_logged_out, dispatch_uid="accounts.session_forget")
def _session_forget(
    sender: object, request: HttpRequest | None, user=None, **kwargs: object
) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        services.session_forget(session_key=session.session_key, user=user)


@receiver(post_save, sender=PortalSettings, dispatch_uid="accounts.site_locale_forget")
def _site_locale_forget(sender: object, **kwargs: object) -> None:
    """The cached site language and time zone follow the administrator's change."""
    site_locale_forget()


@receiver(post_save, sender=Organization, dispatch_uid="accounts.organization_locale_forget")
def _organization_locale_forget(sender: object, instance: Organization, **kwargs: object) -> None:
    organization_locale_forget(instance.pk)
