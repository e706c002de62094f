"""Opening a new request: choose the desk, then one form that keeps everything on an error."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.core.statements import row_by
from supportal.desks.models import Desk
from supportal.knowledge.services import suggestions_submitted
from supportal.portal import uploads
from supportal.portal.forms import NewRequestForm
from supportal.tickets import services
from supportal.tickets.models import DETAILS_MAX_LENGTH, SubmissionMethod


@login_required
def request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.is_agent or request.user.is_superuser:
        return redirect("workspace:queue")
    # The desk by its unique key, with SQL compiled once (docs/performance.md, "Seventh round").
    desk = row_by(Desk, "key", request.GET.get("desk", "").upper())
    if desk is None or not desk.is_active:
        active = list(Desk.objects.filter(is_active=True))
        if len(active) == 1:
            return redirect(f"{reverse('portal:new')}?desk={active[0].key}")
        return render(request, "portal/request_new_desk.html", {"desks": active})
    if request.method != "POST":
        form = NewRequestForm(desk=desk, user=request.user)
        return _page(request, form, uploads.ChosenFiles([], [], []))

    form = NewRequestForm(request.POST, desk=desk, user=request.user)
    chosen = uploads.files_chosen(request, desk)
    if form.is_valid() and not chosen.errors:
        data = form.cleaned_data
        attachments = chosen.open()
        try:
            ticket = services.ticket_create(
                desk=desk,
                requester=request.user,
                actor=request.user,
                summary=data["summary"],
                details=data["details"],
                submission_method=SubmissionMethod.PORTAL,
                product=data["product"],
                request_type=data["request_type"],
                priority=data["priority"],
                contact_phone=data["contact_phone"],
                contact_email=data["contact_email"],
                participants=list(data["participants"]),
                custom_fields=data["custom_fields"],
                attachments=attachments,
            )
        except InvalidInput as exc:
            form.add_service_error(exc)
        except PermissionRefused as exc:
            form.add_error(None, exc.message)
        else:
            chosen.done(request)
            # The suggestions opened from this form did not spare the customer the request.
            suggestions_submitted(
                user=request.user, form_token=request.POST.get("suggest_token", "")
            )
            messages.success(
                request,
                _("Your request %(reference)s was registered.") % {"reference": ticket.reference},
            )
            return redirect("portal:request", reference=ticket.reference)
        finally:
            uploads.pending_close(attachments)
    chosen.keep_for_next_time(request)
    return _page(request, form, chosen, status=400)


def _page(
    request: HttpRequest, form: NewRequestForm, chosen: uploads.ChosenFiles, *, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "desk": form.desk,
        "chosen": chosen,
        "details_max_length": DETAILS_MAX_LENGTH,
        # Ties the suggestions opened from this form to its submission (docs/knowledge.md).
        "suggest_token": request.POST.get("suggest_token", "")[:64] or secrets.token_hex(16),
    }
    return render(request, "portal/request_new.html", context, status=status)
