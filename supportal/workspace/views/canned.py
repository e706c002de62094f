"""Canned replies: every agent reads their desks' replies; team leads write them."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import DomainError, NotFound
from supportal.replies import selectors as reply_selectors
from supportal.replies import services as reply_services
from supportal.workspace.forms import CannedReplyForm, desks_of
from supportal.workspace.views.common import agent_required


def _led_desks(request: AuthenticatedHttpRequest):
    desks = desks_of(request.user)
    return desks.filter(
        pk__in=[d.pk for d in desks if reply_selectors.is_team_lead_of(request.user, d.pk)]
    )


@agent_required
def canned_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    led = _led_desks(request)
    form = CannedReplyForm(request.POST or None, desks=led)
    if request.method == "POST":
        if form.is_valid():
            try:
                reply_services.canned_reply_save(actor=request.user, **form.cleaned_data)
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Canned reply saved."))
                return redirect("workspace:canned")
        status = 400
    else:
        status = 200
    replies = reply_selectors.canned_reply_list_for_user(request.user)
    led_ids = {d.pk for d in led}
    context = {
        "replies": replies,
        "led_ids": led_ids,
        "form": form if led_ids else None,
    }
    return render(request, "workspace/canned_list.html", context, status=status)


@agent_required
def canned_edit(request: AuthenticatedHttpRequest, reply_id: int) -> HttpResponse:
    try:
        reply = reply_selectors.canned_reply_get_for_user(request.user, reply_id)
    except NotFound as exc:
        raise Http404 from exc
    led = _led_desks(request)
    if reply.desk_id not in {d.pk for d in led}:
        raise Http404
    initial = {
        "desk": reply.desk,
        "title": reply.title,
        "body": reply.body,
        "is_active": reply.is_active,
    }
    form = CannedReplyForm(request.POST or None, initial=initial, desks=led)
    if request.method == "POST" and form.is_valid():
        try:
            reply_services.canned_reply_save(actor=request.user, reply=reply, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Canned reply saved."))
            return redirect("workspace:canned")
    return render(request, "workspace/canned_edit.html", {"form": form, "reply": reply})


@require_POST
@agent_required
def canned_delete(request: AuthenticatedHttpRequest, reply_id: int) -> HttpResponse:
    try:
        reply = reply_selectors.canned_reply_get_for_user(request.user, reply_id)
        reply_services.canned_reply_delete(actor=request.user, reply=reply)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Canned reply deleted."))
    return redirect("workspace:canned")
