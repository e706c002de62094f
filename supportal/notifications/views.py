"""Notification pages. Thin: parse, select, call a service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.languages import recipient_language
from supportal.core.errors import InvalidInput, NotFound
from supportal.core.http import refusals_as_messages, signed_in_and
from supportal.mail.models import OutboundState
from supportal.notifications import rendering, selectors, services
from supportal.notifications.models import EDITABLE_TEMPLATES

OUTBOX_PAGE_SIZE = 100


# RFC 8058: mail providers POST the one-click opt-out without a session or a CSRF token; the
# signed token is the authority, and the action (fewer mails) is harmless.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def mute_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link would do and changes nothing; POST opts out."""
    try:
        if request.method == "POST":
            ticket, person = services.ticket_mute_by_token(token=token)
            done = True
        else:
            ticket, person = selectors.mute_token_read(token)
            done = False
    except NotFound:
        return render(request, "notifications/mute_invalid.html", status=404)
    context = {"ticket": ticket, "person": person, "done": done, "token": token}
    # The page answers in the language the mail was written to the person in.
    language = recipient_language(person, desk=ticket.desk)
    with translation.override(language):
        response = render(request, "notifications/mute.html", context)
    response.headers["Content-Language"] = language
    return response


def _is_support(user) -> bool:
    return user.is_authenticated and (user.is_agent or user.is_superuser)


@signed_in_and(_is_support)
@refusals_as_messages("notifications:preferences")
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each agent turns each of their four notification mails on or off."""
    if request.method == "POST":
        services.agent_preference_set(
            user=request.user,
            **{name: name in request.POST for name in services.AGENT_PREFERENCE_FIELDS},
        )
        messages.success(request, _("Your notification choices were saved."))
        return redirect("notifications:preferences")
    preference = selectors.agent_preference_get(request.user)
    labels = {field.name: field.verbose_name for field in preference._meta.fields}
    choices = [
        (name, labels[name], getattr(preference, name)) for name in services.AGENT_PREFERENCE_FIELDS
    ]
    return render(request, "notifications/preferences.html", {"choices": choices})


@login_required
def outbox_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The local mail catcher: every mail Supportal queued, for administrators."""
    state = request.GET.get("state", "")
    try:
        emails = selectors.outbox_list_for_user(request.user, state=state)[:OUTBOX_PAGE_SIZE]
    except NotFound as exc:
        raise Http404 from exc
    context = {"emails": emails, "state": state, "states": OutboundState.choices}
    return render(request, "notifications/outbox_list.html", context)


@login_required
def outbox_detail(request: AuthenticatedHttpRequest, email_id: int) -> HttpResponse:
    try:
        email = selectors.outbox_get_for_user(request.user, email_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "notifications/outbox_detail.html", {"email": email})


@login_required
@xframe_options_sameorigin
def outbox_html(request: AuthenticatedHttpRequest, email_id: int) -> HttpResponse:
    """The mail's HTML part as a mail client would show it: inline styles, nothing remote,
    no scripts (the sandbox), framed only by the detail page."""
    try:
        email = selectors.outbox_get_for_user(request.user, email_id)
    except NotFound as exc:
        raise Http404 from exc
    response = HttpResponse(email.body_html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    )
    return response


@login_required
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Administrators: the notification mails whose wording they may change."""
    try:
        rows = selectors.notification_template_list_for_user(request.user)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "notifications/template_list.html", {"rows": rows})


@login_required
def template_edit(request: AuthenticatedHttpRequest, template: str, language: str) -> HttpResponse:
    """Edit one mail in one language: preview on the sample request, save, or go back to the
    files. A template that does not compile is refused with the message, nothing saved."""
    try:
        sources, override = selectors.notification_template_get_for_user(
            request.user, template, language
        )
    except NotFound as exc:
        raise Http404 from exc
    errors: list[str] = []
    preview = None
    if request.method == "POST":
        parts = {part: request.POST.get(part, "") for part in rendering.PARTS}
        intent = request.POST.get("intent", "preview")
        if intent == "reset":
            parts = {part: "" for part in rendering.PARTS}
        try:
            if intent == "preview":
                preview = rendering.template_preview(
                    template=template, language=language, parts=parts, recipient=request.user
                )
            else:
                services.notification_template_save(
                    actor=request.user, template=template, language=language, **parts
                )
                messages.success(request, _("The e-mail's wording was saved."))
                return redirect("notifications:template_edit", template, language)
        except ValidationError as exc:
            errors = list(exc.messages)
        except InvalidInput as exc:
            errors = [exc.message]
        sources = parts
    context = {
        "template": template,
        "label": dict(EDITABLE_TEMPLATES)[template],
        "language": language,
        "language_label": dict(settings.LANGUAGES)[language],
        "sources": sources,
        "override": override,
        "errors": errors,
        "preview": preview,
        "sample": rendering.sample_ticket(),
        "variables": rendering.documented_variables(template),
    }
    return render(
        request, "notifications/template_edit.html", context, status=400 if errors else 200
    )
