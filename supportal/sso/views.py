"""The two pages of a sign-in through an identity provider (docs/sso.md): ``start`` sends the
browser to the provider, ``callback`` takes it back, has the ID token checked, logs the agent
in and hands over to the second step when the provider's own did not count."""

from __future__ import annotations

import requests
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from joserfc.errors import JoseError

from supportal.accounts.services import twofactor
from supportal.sso import client, selectors, services
from supportal.sso.models import IdentityProvider, SecretMissing

NEXT_KEY = "sso_next"
BACKEND = "supportal.accounts.backends.EmailBackend"


def _provider(slug: str) -> IdentityProvider:
    provider = selectors.provider_get_active(slug)
    if provider is None:
        raise Http404
    return provider


def _redirect_uri(provider: IdentityProvider) -> str:
    # The base URL, not the request's host: the provider only accepts the URI registered with
    # it, and a forged Host header must not change where the code is sent.
    return settings.SUPPORTAL_BASE_URL + reverse("sso:callback", args=[provider.slug])


def _failed(
    request: HttpRequest, provider: IdentityProvider, message: str, *, status: int
) -> HttpResponse:
    context = {
        "title": _("Sign-in with %(provider)s did not work") % {"provider": provider.name},
        "paragraphs": [message],
        "links": [(_("Back to the log-in page"), "login")],
    }
    return render(request, "accounts/message.html", context, status=status)


def _invalid(request: HttpRequest, provider: IdentityProvider) -> HttpResponse:
    message = _("The identity provider's answer was not valid. Start the sign-in again.")
    return _failed(request, provider, message, status=400)


def _unreachable(request: HttpRequest, provider: IdentityProvider) -> HttpResponse:
    message = _("The identity provider cannot be reached now. Try again later.")
    return _failed(request, provider, message, status=502)


@never_cache
def start(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the provider, with state, nonce and the PKCE challenge; they and the
    code verifier stay in this session."""
    found = _provider(provider)
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = next_url
    else:
        request.session.pop(NEXT_KEY, None)
    try:
        app = client.oauth_app(found)
        response = app.authorize_redirect(request, _redirect_uri(found))
    except (SecretMissing, client.DiscoveryMismatch, requests.RequestException, ValueError) as exc:
        services.sso_failure_record(provider=found, reason=f"{type(exc).__name__}: {exc}")
        return _unreachable(request, found)
    client.metadata_keep(found, app)
    return response


@never_cache
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's answer: exchange the code (with the verifier), check the ID token, find
    or create the agent, log in."""
    found = _provider(provider)
    try:
        app = client.oauth_app(found)
        token = app.authorize_access_token(
            request,
            claims_options=client.claims_options(found, app),
            leeway=client.LEEWAY_SECONDS,
        )
    except OAuthError as exc:
        services.sso_failure_record(provider=found, reason=f"{exc.error}: {exc.description}")
        if exc.error == "access_denied":
            message = _("The sign-in was cancelled at the identity provider.")
        else:
            return _invalid(request, found)
        return _failed(request, found, message, status=400)
    except JoseError as exc:
        services.sso_failure_record(provider=found, reason=f"ID token: {exc}")
        return _invalid(request, found)
    except (SecretMissing, client.DiscoveryMismatch, requests.RequestException, ValueError) as exc:
        services.sso_failure_record(provider=found, reason=f"{type(exc).__name__}: {exc}")
        return _unreachable(request, found)
    claims = token.get("userinfo")
    if not claims:
        services.sso_failure_record(provider=found, reason="no ID token in the answer")
        return _invalid(request, found)
    try:
        claims = client.claims_complete(app, token, dict(claims))
    except (requests.RequestException, ValueError) as exc:
        services.sso_failure_record(provider=found, reason=f"UserInfo: {exc}")
        return _unreachable(request, found)
    client.metadata_keep(found, app)
    try:
        signed_in = services.sso_user_for_claims(provider=found, claims=claims)
    except services.SsoRefused as exc:
        services.sso_failure_record(
            provider=found, reason=exc.reason, email=str(claims.get("email") or "")
        )
        return _failed(request, found, exc.message, status=403)
    next_url = request.session.pop(NEXT_KEY, "")
    login(request, signed_in.user, backend=BACKEND)
    # The session ends with the browser, as a password log-in without "Keep me logged in".
    request.session.set_expiry(0)
    if signed_in.is_mfa:
        # The provider's second factor counts: Supportal asks for none of its own
        # (docs/sso.md#two-factor-sign-in). Otherwise the log-in signal left VERIFY or ENROLL.
        request.session[twofactor.SESSION_KEY] = twofactor.OK
    return HttpResponseRedirect(next_url or settings.LOGIN_REDIRECT_URL)
