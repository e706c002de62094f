"""Two-factor pages (docs/security.md#two-factor-sign-in): the second step of a log-in, and the
person's own settings — enrolment of an authenticator app (QR code drawn here, as SVG), new
recovery codes, turning it off. Thin: forms parse, ``services.twofactor`` changes things."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportal.accounts import services
from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.services import twofactor
from supportal.accounts.throttle import Refusal, client_ip
from supportal.core.errors import DomainError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SecondStepForm(CodeForm):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
    trust_device = forms.BooleanField(
        label=gettext_lazy("Trust this device for 30 days"), required=False
    )


def _code_cleared(form: forms.Form) -> None:
    """Empty the code field of a refused form (its error stays): the next code is typed into
    an empty field, not after the wrong one, and the page never shows a code again."""
    form.data = {**form.data, "code": ""}


def _next_url(request: HttpRequest, target: str = "") -> str:
    target = target or request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _passed(request: HttpRequest, response_target: str) -> HttpResponse:
    """The second step passed: the session is complete, under a new key (no fixation)."""
    old_key = request.session.session_key
    request.session[twofactor.SESSION_KEY] = twofactor.OK
    request.session.cycle_key()
    services.session_rekey(old_key=old_key, new_key=request.session.session_key)
    return redirect(response_target)


def twofactor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a log-in. Only a session that owes it gets here (the middleware
    sends it); any other is sent on."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.session.get(twofactor.SESSION_KEY) != twofactor.VERIFY:
        return redirect(_next_url(request))
    user = request.user
    form = SecondStepForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = twofactor.second_step_verify(
            user=user, code=form.cleaned_data["code"], ip=client_ip(request)
        )
        if isinstance(result, Refusal):
            form.add_error(None, result.message())
            _code_cleared(form)
            status = 429
        elif result is None:
            form.add_error("code", _("The code is not right."))
            _code_cleared(form)
            status = 400
        else:
            response = _passed(request, _next_url(request))
            if result.method == "recovery":
                messages.warning(
                    request,
                    _("You used a recovery code; %(left)d left. Make new ones in your account.")
                    % {"left": result.recovery_codes_left or 0},
                )
            if form.cleaned_data["trust_device"]:
                token = twofactor.trusted_device_add(
                    user=user, user_agent=request.META.get("HTTP_USER_AGENT", "")
                )
                response.set_cookie(
                    twofactor.TRUSTED_COOKIE,
                    token,
                    max_age=int(twofactor.TRUSTED_DURATION.total_seconds()),
                    secure=request.is_secure(),
                    httponly=True,
                    samesite="Lax",
                )
            return response
    context = {
        "form": form,
        "next": _next_url(request),
        "has_passkeys": user.passkeys.exists(),
    }
    return render(request, "accounts/twofactor_verify.html", context, status=status)


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to sit inline in HTML


@login_required
def twofactor_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up, look after or turn off one's second step. A session that must enrol is held
    here until the app is confirmed."""
    user = request.user
    is_enrolling = request.session.get(twofactor.SESSION_KEY) == twofactor.ENROLL
    has_factor = twofactor.has_second_factor(user)
    form = CodeForm(request.POST or None)
    codes: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.totp_confirm(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
            _code_cleared(form)
        else:
            if is_enrolling:
                request.session[twofactor.SESSION_KEY] = twofactor.OK
            has_factor, form = True, CodeForm()
    context: dict[str, object] = {
        "form": form,
        "codes": codes,
        "has_factor": has_factor,
        "is_enrolling": is_enrolling,
        "is_required": twofactor.is_required_for(user),
        "passkeys": list(user.passkeys.all()),
        "next": _next_url(request),
    }
    if not has_factor:
        # A wrong code shows the same QR code again: the app has it already.
        device = twofactor.totp_begin(user=user, renew=request.method != "POST")
        context["secret"] = device.secret
        context["qr_svg"] = mark_safe(_qr_svg(twofactor.totp_uri(device)))  # noqa: S308  (drawn here)
    else:
        context["codes_left"] = twofactor.recovery_codes_left(user)
    response = render(request, "accounts/twofactor.html", context)
    response["Cache-Control"] = "no-store"  # the secret and the codes are shown here
    return response


@require_POST
@login_required
def twofactor_codes_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        codes = twofactor.recovery_codes_new(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:twofactor")
    context = {"codes": codes, "has_factor": True, "codes_left": len(codes)}
    response = render(request, "accounts/twofactor.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def twofactor_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        twofactor.twofactor_disable(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect(reverse("accounts:twofactor"))
