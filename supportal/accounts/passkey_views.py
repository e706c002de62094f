"""Passkey ceremonies (docs/security.md#two-factor-sign-in): JSON for the page's script
(``accounts/passkeys.js``), which calls the browser's WebAuthn API. The challenge is kept in
the session between the two requests of each ceremony."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts import selectors
from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.services import passkeys, twofactor
from supportal.accounts.throttle import client_ip
from supportal.accounts.twofactor_views import _next_url, _passed
from supportal.core.errors import DomainError

_REGISTER = "passkey_register_challenge"
_LOGIN = "passkey_login_challenge"


def _rp(request: HttpRequest) -> passkeys.RelyingParty:
    host = request.get_host()
    return passkeys.RelyingParty(
        id=host.rsplit(":", 1)[0] if not host.endswith("]") else host,
        name=selectors.portal_settings_get().portal_name or "Supportal",
        origin=f"{request.scheme}://{host}",
    )


def _body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        return {}  # a form post: its body was read as the form, and is no passkey answer
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


@require_POST
@login_required
def register_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    options, challenge = passkeys.passkey_register_options(user=request.user, rp=_rp(request))
    request.session[_REGISTER] = challenge
    return HttpResponse(options, content_type="application/json")


@require_POST
@login_required
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = _body(request)
    challenge = request.session.pop(_REGISTER, "")
    if not challenge or not isinstance(data.get("credential"), dict):
        return JsonResponse({"error": _("Start again.")}, status=400)
    try:
        _key, codes = passkeys.passkey_register(
            user=request.user,
            rp=_rp(request),
            challenge=challenge,
            credential=data["credential"],
            name=str(data.get("name", "")),
        )
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    if request.session.get(twofactor.SESSION_KEY) == twofactor.ENROLL:
        request.session[twofactor.SESSION_KEY] = twofactor.OK
    return JsonResponse({"ok": True, "codes": codes})


@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in first.")}, status=403)
    options, challenge = passkeys.passkey_login_options(user=request.user, rp=_rp(request))
    request.session[_LOGIN] = challenge
    return HttpResponse(options, content_type="application/json")


@require_POST
def login(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in first.")}, status=403)
    if request.session.get(twofactor.SESSION_KEY) != twofactor.VERIFY:
        return JsonResponse({"ok": True, "next": _next_url(request)})
    data = _body(request)
    challenge = request.session.pop(_LOGIN, "")
    credential = data.get("credential")
    if not challenge or not isinstance(credential, dict):
        return JsonResponse({"error": _("Start again.")}, status=400)
    if not passkeys.passkey_login(
        user=request.user,
        rp=_rp(request),
        challenge=challenge,
        credential=credential,
        ip=client_ip(request),
    ):
        return JsonResponse({"error": _("The passkey was not accepted.")}, status=400)
    target = _next_url(request, str(data.get("next", "")))
    _passed(request, target)
    return JsonResponse({"ok": True, "next": target})
