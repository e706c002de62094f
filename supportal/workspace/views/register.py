"""Registering a request received by phone or e-mail (docs/requirements.md#request-fields, F2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.languages import recipient_language
from supportal.accounts.models import User
from supportal.core.errors import DomainError, NotFound
from supportal.tickets import selectors, services, workflow
from supportal.tickets.models import SubmissionMethod
from supportal.workspace.customers import customer_request_register
from supportal.workspace.forms import RegisterRequestForm
from supportal.workspace.views.common import agent_required

OPEN_TICKETS_SHOWN = 20
# The form's fields handed to the registration as they are.
_REGISTERED_AS_GIVEN = (
    *("summary", "details", "first_name", "last_name", "organization", "new_company"),
    *("contact_phone", "language", "request_type", "priority", "product", "custom_fields"),
)


def _requester_context(user: User, email: str) -> dict[str, object]:
    """The customer behind an e-mail address and their open requests this agent may see."""
    email = (email or "").strip().lower()
    requester = (
        User.objects.filter(email__iexact=email).select_related("organization").first()
        if email
        else None
    )
    open_tickets = []
    if requester is not None:
        open_tickets = list(
            selectors.ticket_queryset_for_user(user)
            .filter(requester=requester, status__in=workflow.OPEN_STATUSES)
            .select_related("desk")
            .order_by("-created_at")[:OPEN_TICKETS_SHOWN]
        )
    language = recipient_language(requester) if requester is not None else ""
    return {
        "looked_up": bool(email),
        "requester": requester,
        "requester_language_name": dict(settings.LANGUAGES).get(language, ""),
        "open_tickets": open_tickets,
    }


@agent_required
def request_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = RegisterRequestForm(
            initial={"email": request.GET.get("email", "")}, user=request.user
        )
        context = {"form": form, **_requester_context(request.user, request.GET.get("email", ""))}
        return render(request, "workspace/register.html", context)

    form = RegisterRequestForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        context = {"form": form, **_requester_context(request.user, request.POST.get("email", ""))}
        return render(request, "workspace/register.html", context, status=400)
    data = form.cleaned_data
    found = _requester_context(request.user, data["email"])
    if found["open_tickets"] and not data["is_duplicate_checked"]:
        # Shown before creating, so a customer who calls twice does not get two requests.
        resubmitted = request.POST.copy()
        resubmitted["is_duplicate_checked"] = "True"
        form.data = resubmitted
        return render(
            request,
            "workspace/register.html",
            {"form": form, "confirm_duplicates": True, **found},
            status=409,
        )
    files = [services.NewAttachment(file=f) for f in request.FILES.getlist("attachments")]
    try:
        registered = customer_request_register(
            actor=request.user,
            desk=data["desk"],
            email=data["email"],
            submission_method=SubmissionMethod(data["submission_method"]),
            attachments=files,
            **{name: data[name] for name in _REGISTERED_AS_GIVEN},
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return render(request, "workspace/register.html", {"form": form, **found}, status=400)
    ticket = registered.ticket
    if registered.is_new_customer:
        messages.success(
            request,
            _("%(reference)s registered; %(email)s was registered as a new customer and invited.")
            % {"reference": ticket.reference, "email": registered.requester.email},
        )
    else:
        messages.success(request, _("%(reference)s registered.") % {"reference": ticket.reference})
    return redirect("workspace:ticket", reference=ticket.reference)


@agent_required
def requester_lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The customer panel of the registration page, for its script to show while typing."""
    context = _requester_context(request.user, request.GET.get("email", ""))
    return render(request, "workspace/_requester.html", context)
