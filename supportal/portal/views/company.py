"""Company self-service pages (docs/requirements.md#company-self-service): the contacts directory
for customer admins, downloads for customers, the help page with working hours, and one-click
unsubscribe.

The directory pages themselves are ``supportal/company/pages.py``, shared with the workspace;
this module passes the portal's :class:`Side` (templates and URL names).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.languages import contact_language
from supportal.accounts.models import Contact, Organization
from supportal.company import joining, selectors, services
from supportal.company.forms import (
    DownloadFilterForm,
)
from supportal.company.models import NewsletterList
from supportal.company.pages import (
    DOWNLOADS_PAGE_SIZE,
    Side,
    contact_active_do,
    contact_invite_do,
    contact_new_page,
    contact_page,
    contact_subscriptions_save,
    contacts_page,
    not_found_404,
)
from supportal.company.tokens import unsubscribe_token_read
from supportal.core.errors import DomainError, NotFound
from supportal.core.files import download_response
from supportal.core.http import row_id

PORTAL = Side(
    base_template="base.html",
    contacts_url="portal:contacts",
    contact_url="portal:contact",
    contact_new_url="portal:contact_new",
)


def _own_organization(request: AuthenticatedHttpRequest) -> Organization:
    organization = request.user.organization
    if (
        organization is None
        or not selectors.may_manage_contacts(request.user, organization)
        or selectors.is_support(request.user)
    ):
        raise Http404()
    return organization


@login_required
def contacts(request: AuthenticatedHttpRequest) -> HttpResponse:
    return contacts_page(request, _own_organization(request), PORTAL)


@login_required
def contact_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return contact_new_page(request, _own_organization(request), PORTAL)


@login_required
def contact(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_page(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_subscriptions(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_subscriptions_save(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_invite(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_invite_do(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_active(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_active_do(request, contact_id, PORTAL)


@login_required
def downloads(request: AuthenticatedHttpRequest) -> HttpResponse:
    products, topics = selectors.download_filter_choices(request.user)
    filters = DownloadFilterForm(request.GET, products=products, topics=topics)
    items = selectors.download_list_for_user(
        request.user, product_id=filters.value("product"), topic_id=filters.value("topic")
    )
    page = Paginator(items, DOWNLOADS_PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "company/downloads.html",
        {
            "filters": filters,
            "page": page,
            "query_without_page": query_without_page.urlencode(),
            "base_template": "workspace/_base.html"
            if selectors.is_support(request.user)
            else "base.html",
        },
    )


@login_required
def download_file(request: AuthenticatedHttpRequest, download_id: int) -> HttpResponseBase:
    """Always a download, never rendered by the browser (as attachments are)."""
    try:
        download = selectors.download_get_for_user(request.user, download_id)
    except NotFound as exc:
        raise not_found_404(exc) from exc
    return download_response(download.file, file_name=download.file_name)


def support_help(request: HttpRequest) -> HttpResponse:
    return render(request, "company/help.html", {"hours": selectors.support_hours(holiday_days=60)})


@login_required
def my_newsletters(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The newsletters the logged-in person receives, each with an unsubscribe button."""
    if request.method == "POST":
        contact = Contact.objects.filter(user=request.user).first()
        newsletter_id = request.POST.get("newsletter", "")
        if contact is None or row_id(newsletter_id) is None:
            raise Http404()
        if services.subscription_unsubscribe_by_link(
            contact_id=contact.pk, newsletter_id=int(newsletter_id), actor=request.user
        ):
            messages.success(request, _("You are unsubscribed."))
        return redirect("portal:my_newsletters")
    return render(
        request,
        "company/my_newsletters.html",
        {"newsletters": selectors.own_subscriptions(request.user)},
    )


@csrf_exempt  # RFC 8058: mail programs POST the one-click unsubscribe without our cookie
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (mail scanners open links); POST unsubscribes."""
    try:
        contact_id, newsletter_id = unsubscribe_token_read(token)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Http404() from exc
    newsletter = NewsletterList.objects.filter(pk=newsletter_id).first()
    contact = (
        Contact.objects.select_related("user", "user__organization", "organization")
        .filter(pk=contact_id)
        .first()
    )
    if newsletter is None or contact is None:
        raise Http404()
    is_done = False
    if request.method == "POST":
        services.subscription_unsubscribe_by_link(
            contact_id=contact_id, newsletter_id=newsletter_id
        )
        is_done = True
    # The page answers in the language the newsletter was written to the contact in.
    with translation.override(contact_language(contact)):
        response = render(
            request,
            "company/unsubscribe.html",
            {"newsletter": newsletter, "is_done": is_done, "token": token},
        )
    response.headers["Content-Language"] = contact_language(contact)
    return response


@login_required
def company_join(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The owner of an account confirms joining the company that asked (company/joining.py).
    GET shows what joining means (mail scanners open links); POST joins. The link is the
    logged-in account's own, or "not found"."""
    try:
        contact = joining.join_request_read(token, user=request.user)
        if request.method == "POST":
            organization = joining.join_accept(token=token, user=request.user)
            messages.success(request, _("You joined %(company)s.") % {"company": organization.name})
            return redirect("portal:requests")
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:requests")
    return render(request, "company/join.html", {"contact": contact})
