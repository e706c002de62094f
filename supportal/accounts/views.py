"""Account pages: log-in (by e-mail or as a company), log-out, "Forgot your password?",
invitation and reset links, sign-up, and the profile with password and sessions.

Thin: parse with a form, read with selectors, change through services, render. Pages that
follow a link from an e-mail change nothing on GET (mail scanners open links); they change
things on POST.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportal.accounts import selectors, services, throttle
from supportal.accounts.backends import login_refusal_of
from supportal.accounts.forms import (
    ApiTokenForm,
    CompanyLoginForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    SignupForm,
)
from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.languages import recipient_language
from supportal.accounts.models import SignupMode, User
from supportal.accounts.tokens import (
    LinkState,
    invitation_tokens,
    password_reset_tokens,
    signup_token_read,
    user_from_uid,
)
from supportal.core.errors import DomainError, NotFound

# "Keep me logged in": a 30-day session; otherwise the session ends with the browser.
REMEMBER_ME_DURATION = timedelta(days=30)

_LINK_TOKENS = {"invitation": invitation_tokens, "reset": password_reset_tokens}


def _message_page(
    request: HttpRequest,
    *,
    title: str,
    paragraphs: list[str],
    links: list[tuple[str, str]] = (),  # type: ignore[assignment]
    status: int = 200,
) -> HttpResponse:
    context = {"title": title, "paragraphs": paragraphs, "links": links}
    return render(request, "accounts/message.html", context, status=status)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        remember = form.cleaned_data.get("remember_me")
        # 0: the session cookie ends when the browser closes.
        self.request.session.set_expiry(REMEMBER_ME_DURATION if remember else 0)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        refusal = login_refusal_of(self.request)
        if refusal is not None:
            # 429 for the throttle; a password log-in refused to a single-sign-on account: 403.
            response.status_code = getattr(refusal, "status", 429)
        return response

    def get_context_data(self, **kwargs: object) -> dict:
        context = super().get_context_data(**kwargs)
        portal = selectors.portal_settings_get()
        context["is_signup_open"] = portal.signup_mode != SignupMode.CLOSED
        context["is_company_login_enabled"] = portal.is_company_login_enabled
        return context


class CompanyLoginView(LoginView):
    form_class = CompanyLoginForm  # type: ignore[assignment]
    template_name = "accounts/company_login.html"

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if not selectors.portal_settings_get().is_company_login_enabled:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    next_page = "login"

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out."))
        return response


def password_forgot(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(
            email=form.cleaned_data["email"],
            language=request.LANGUAGE_CODE,
            ip=throttle.client_ip(request),
        )
        return redirect("accounts:password_forgot_sent")
    return render(request, "accounts/password_forgot.html", {"form": form})


def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    hours = int(password_reset_tokens.lifetime().total_seconds() // 3600)
    return _message_page(
        request,
        title=_("Check your e-mail"),
        paragraphs=[
            _(
                "If an account uses that address, we have sent it a link to set a new "
                "password. The link works once, for %(hours)d hours."
            )
            % {"hours": hours},
            _("Nothing arrived after a few minutes? Look in the spam folder, or ask support."),
        ],
        links=[(_("Back to log-in"), "login")],
    )


def _link_refused(
    request: HttpRequest, state: LinkState, *, kind: str, uidb64: str = "", token: str = ""
) -> HttpResponse:
    context = {
        "is_expired": state is LinkState.EXPIRED,
        "kind": kind,
        "uidb64": uidb64,
        "token": token,
    }
    return render(request, "accounts/link_refused.html", context)


def _password_link(request: HttpRequest, uidb64: str, token: str, *, kind: str) -> HttpResponse:
    account = user_from_uid(uidb64)
    state = _LINK_TOKENS[kind].check_link(account, token)
    if account is not None and (not account.is_active or account.is_company_account):
        state = LinkState.USED_OR_INVALID
    if account is None or state is not LinkState.VALID:  # no account: never VALID
        return _link_refused(request, state, kind=kind, uidb64=uidb64, token=token)
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set(user=account, password=form.cleaned_data["new_password1"])
        messages.success(
            request,
            _("Your password is set. Log in with your e-mail address and the new password."),
        )
        return redirect("login")
    return render(
        request, "accounts/password_set.html", {"form": form, "account": account, "kind": kind}
    )


def invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    return _password_link(request, uidb64, token, kind="invitation")


def password_reset(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    return _password_link(request, uidb64, token, kind="reset")


@require_POST
def link_renew(request: HttpRequest) -> HttpResponse:
    """An expired invitation or reset link asks for a fresh one. Only a link that is genuine
    (signature intact) but expired gets one; anything else gets the same answer and no mail."""
    kind = request.POST.get("kind", "")
    if kind in _LINK_TOKENS:
        account = user_from_uid(request.POST.get("uidb64", ""))
        state = _LINK_TOKENS[kind].check_link(account, request.POST.get("token", ""))
        if state is LinkState.EXPIRED and account is not None:  # no account: never EXPIRED
            services.link_renew(
                user=account, language=request.LANGUAGE_CODE, ip=throttle.client_ip(request)
            )
    return redirect("accounts:link_sent")


def link_sent(request: HttpRequest) -> HttpResponse:
    return _message_page(
        request,
        title=_("Check your e-mail"),
        paragraphs=[_("We have sent a new link to the address the first one went to.")],
        links=[(_("Back to log-in"), "login")],
    )


def _signup_closed(request: HttpRequest) -> HttpResponse:
    return _message_page(
        request,
        title=_("Sign-up is closed"),
        paragraphs=[
            _(
                "Accounts are created by invitation. If you have written to support by "
                "e-mail, you already have one: use “Forgot your password?” to set a password."
            )
        ],
        links=[(_("Forgot your password?"), "accounts:password_forgot")],
    )


def signup(request: HttpRequest) -> HttpResponse:
    mode = selectors.portal_settings_get().signup_mode
    if mode == SignupMode.CLOSED:
        return _signup_closed(request)
    form = SignupForm(request.POST or None, mode=mode)
    if request.method == "POST" and form.is_valid():
        try:
            services.signup_request(
                **form.cleaned_data,
                language=request.LANGUAGE_CODE,
                ip=throttle.client_ip(request),
            )
        except DomainError:
            return _signup_closed(request)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form, "mode": mode})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return _message_page(
        request,
        title=_("Check your e-mail"),
        paragraphs=[
            _(
                "We have sent a message to the address you gave. Open the link in it to "
                "confirm the address and continue."
            ),
            _("Nothing arrived after a few minutes? Look in the spam folder, or ask support."),
        ],
        links=[(_("Back to log-in"), "login")],
    )


def signup_verify(request: HttpRequest, token: str) -> HttpResponse:
    state, data = signup_token_read(token)
    if state is not LinkState.VALID:
        return _link_refused(request, state, kind="signup")
    mode = selectors.portal_settings_get().signup_mode
    if mode == SignupMode.CLOSED:
        return _signup_closed(request)
    if mode == SignupMode.REQUEST:
        if request.method == "POST":
            services.access_request_create(data=data)
            return _message_page(
                request,
                title=_("Your request is waiting for approval"),
                paragraphs=[
                    _(
                        "Your address is confirmed. The support team checks who asks before "
                        "opening an account; when they approve, you receive an invitation by "
                        "e-mail."
                    )
                ],
            )
        return render(request, "accounts/signup_confirm.html", {"data": data})
    if selectors.user_with_email_exists(data.get("email", "")):
        return _account_exists(request)
    account = User(
        email=data.get("email", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
    )
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signup_complete(data=data, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        except DomainError as exc:
            if exc.code == "exists":
                return _account_exists(request)
            return _signup_closed(request)
        else:
            messages.success(
                request, _("Your account is ready. Log in with your e-mail address and password.")
            )
            return redirect("login")
    return render(
        request, "accounts/password_set.html", {"form": form, "account": account, "kind": "signup"}
    )


def _account_exists(request: HttpRequest) -> HttpResponse:
    return _message_page(
        request,
        title=_("This address already has an account"),
        paragraphs=[_("Log in, or use “Forgot your password?” to set a new password.")],
        links=[(_("Log in"), "login"), (_("Forgot your password?"), "accounts:password_forgot")],
    )


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A copy: an invalid form must not change the logged-in user shown in the header.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=request.user, **{name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        )
        # Said in the language just chosen, which the next page is shown in.
        with translation.override(recipient_language(request.user, browser=request.LANGUAGE_CODE)):
            messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        old_key = request.session.session_key
        services.password_change(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            keep_session_key=old_key,
        )
        # Keeps this session valid under the new password hash; it gets a new key.
        update_session_auth_hash(request, request.user)
        services.session_rekey(old_key=old_key, new_key=request.session.session_key)
        messages.success(
            request, _("Your password is changed. Your other sessions have been logged out.")
        )
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "sessions": selectors.session_list_for_user(request.user),
        "current_key": request.session.session_key,
    }
    return render(request, "accounts/sessions.html", context)


@require_POST
@login_required
def session_end(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    try:
        services.session_end(
            user=request.user, session_id=session_id, keep_session_key=request.session.session_key
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("That session is logged out."))
    return redirect("accounts:sessions")


@require_POST
@login_required
def sessions_end_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.sessions_end(user=request.user)
    logout(request)
    messages.success(request, _("You are logged out everywhere, on every device."))
    return redirect("login")


@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's API tokens: create one (its text shown once, on this answer only), see when
    and from where each was last used and the changes made with them, revoke
    (docs/api.md#tokens)."""
    form = ApiTokenForm(request.POST or None)
    created_text = ""
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            _token, created_text = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_in_days=int(days) if days else None,
            )
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None) or None, exc.message)
        else:
            form = ApiTokenForm()
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "created_text": created_text,
            "tokens": selectors.api_token_list_for_user(request.user),
            "changes": selectors.api_token_changes_for_user(request.user),
            "now": timezone.now(),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    try:
        # Here only one's own tokens, administrators included (they revoke others' in the admin).
        token = selectors.api_token_list_for_user(request.user).filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("There is no such token."))
        services.api_token_revoke(actor=request.user, token_id=token.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("accounts:api_tokens")


# Anonymous pages carry no CSRF token (the "forgot password" answer must be the same page for
# every address); choosing a language only sets a cookie then. The profile is changed only
# with a valid token.
@csrf_exempt
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The language switcher of every page (docs/languages.md): a cookie for everyone, and the
    profile's language for a logged-in person (their own choice, so mails follow it too).
    Goes back to the page it was used on."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    # A URL, never a view name: redirect("a b") would look the text up as one.
    response: HttpResponse = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    user = request.user
    if isinstance(user, User) and not user.is_company_account and _has_valid_csrf_token(request):
        services.profile_update(user=user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _protected_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()  # never called: what CsrfViewMiddleware checks a request against


def _has_valid_csrf_token(request: HttpRequest) -> bool:
    """Whether the request passes the CSRF check of a view that is not exempt."""
    middleware = CsrfViewMiddleware(_protected_view)
    return middleware.process_view(request, _protected_view, (), {}) is None
