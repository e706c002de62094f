"""Company self-service pages (seed 003 §5–6): the contacts directory for customer admins,
downloads for customers, the help page with working hours, and one-click unsubscribe.

The directory views are shared with the workspace (``workspace/views/company.py``), which
passes its own :class:`Side` (templates and URL names); the rules live in the selectors and
services of ``supportal.company``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportal.accounts.models import Contact, Organization
from supportal.company import selectors, services
from supportal.company.forms import (
    ContactForm,
    ContactSearchForm,
    DownloadFilterForm,
    SubscriptionsForm,
)
from supportal.company.models import NewsletterList, Subscription
from supportal.company.tokens import unsubscribe_token_read
from supportal.core.errors import DomainError, NotFound
from supportal.core.files import download_response

CONTACTS_PAGE_SIZE = 25
DOWNLOADS_PAGE_SIZE = 25


@dataclass(frozen=True)
class Side:
    """Where the directory pages live: the portal (customer admins) or the workspace."""

    base_template: str
    contacts_url: str  # takes the organization's id in the workspace, nothing in the portal
    contact_url: str
    contact_new_url: str
    is_workspace: bool = False

    def contacts_link(self, organization: Organization) -> str:
        args = [organization.pk] if self.is_workspace else []
        return reverse(self.contacts_url, args=args)


PORTAL = Side(
    base_template="base.html",
    contacts_url="portal:contacts",
    contact_url="portal:contact",
    contact_new_url="portal:contact_new",
)


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


def _own_organization(request: HttpRequest) -> Organization:
    organization = request.user.organization
    if not selectors.may_manage_contacts(request.user, organization) or selectors.is_support(
        request.user
    ):
        raise Http404()
    return organization


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    try:
        return selectors.contact_get_for_user(request.user, contact_id)
    except NotFound as exc:
        raise _not_found(exc) from exc


def contacts_page(request: HttpRequest, organization: Organization, side: Side) -> HttpResponse:
    search = ContactSearchForm(request.GET)
    contacts = selectors.contact_list_for_user(
        request.user,
        organization=organization,
        query=search.value("q"),
        state=search.value("state"),
    )
    page = Paginator(contacts, CONTACTS_PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "company/contacts.html",
        {
            "side": side,
            "organization": organization,
            "search": search,
            "page": page,
            "query_without_page": query_without_page.urlencode(),
            "new_url": reverse(
                side.contact_new_url, args=[organization.pk] if side.is_workspace else []
            ),
        },
    )


def contact_new_page(request: HttpRequest, organization: Organization, side: Side) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                organization=organization, actor=request.user, values=form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None), exc.message)
        else:
            messages.success(request, _("Contact added."))
            return redirect(side.contact_url, contact.pk)
    return render(
        request,
        "company/contact_edit.html",
        {"side": side, "organization": organization, "form": form, "contact": None},
    )


def contact_page(request: HttpRequest, contact_id: int, side: Side) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = ContactForm(request.POST or None, instance=Contact(**_values(contact)))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=request.user, values=form.cleaned_data)
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None), exc.message)
        else:
            messages.success(request, _("Contact saved."))
            return redirect(side.contact_url, contact.pk)
    offered = selectors.newsletter_lists_for_organization(contact.organization)
    subscribed = list(
        Subscription.objects.filter(contact=contact).values_list("newsletter_id", flat=True)
    )
    return render(
        request,
        "company/contact_edit.html",
        {
            "side": side,
            "organization": contact.organization,
            "contact": contact,
            "form": form,
            "subscriptions": SubscriptionsForm(
                initial={"newsletters": subscribed}, offered=offered
            ),
            "changes": selectors.contact_changes(contact)[:50],
            "contacts_link": side.contacts_link(contact.organization),
        },
    )


def _values(contact: Contact) -> dict:
    return {name: getattr(contact, name) for name in services.CONTACT_FIELDS}


def contact_subscriptions_save(request: HttpRequest, contact_id: int, side: Side) -> HttpResponse:
    contact = _contact(request, contact_id)
    offered = selectors.newsletter_lists_for_organization(contact.organization)
    form = SubscriptionsForm(request.POST, offered=offered)
    if not form.is_valid():
        raise Http404()
    try:
        services.subscriptions_set(
            contact=contact,
            actor=request.user,
            newsletter_ids=[n.pk for n in form.cleaned_data["newsletters"]],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Newsletters saved."))
    return redirect(side.contact_url, contact.pk)


def contact_invite_do(request: HttpRequest, contact_id: int, side: Side) -> HttpResponse:
    contact = _contact(request, contact_id)
    try:
        services.contact_invite(contact=contact, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": contact.email})
    return redirect(side.contact_url, contact.pk)


def contact_active_do(request: HttpRequest, contact_id: int, side: Side) -> HttpResponse:
    contact = _contact(request, contact_id)
    is_active = request.POST.get("is_active") == "1"
    try:
        services.contact_set_active(contact=contact, actor=request.user, is_active=is_active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Contact reactivated.")
            if is_active
            else _("Contact deactivated: they can no longer log in."),
        )
    return redirect(side.contact_url, contact.pk)


# Portal entry points ---------------------------------------------------------------------------


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    return contacts_page(request, _own_organization(request), PORTAL)


@login_required
def contact_new(request: HttpRequest) -> HttpResponse:
    return contact_new_page(request, _own_organization(request), PORTAL)


@login_required
def contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_page(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_subscriptions(request: HttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_subscriptions_save(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_invite(request: HttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_invite_do(request, contact_id, PORTAL)


@login_required
@require_POST
def contact_active(request: HttpRequest, contact_id: int) -> HttpResponse:
    _own_organization(request)
    return contact_active_do(request, contact_id, PORTAL)


@login_required
def downloads(request: HttpRequest) -> HttpResponse:
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
def download_file(request: HttpRequest, download_id: int) -> HttpResponse:
    """Always a download, never rendered by the browser (as attachments are)."""
    try:
        download = selectors.download_get_for_user(request.user, download_id)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return download_response(download.file, file_name=download.file_name)


def support_help(request: HttpRequest) -> HttpResponse:
    return render(request, "company/help.html", {"hours": selectors.support_hours(holiday_days=60)})


@login_required
def my_newsletters(request: HttpRequest) -> HttpResponse:
    """The newsletters the logged-in person receives, each with an unsubscribe button."""
    if request.method == "POST":
        contact = Contact.objects.filter(user=request.user).first()
        newsletter_id = request.POST.get("newsletter", "")
        if contact is None or not newsletter_id.isdigit():
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
    if newsletter is None or not Contact.objects.filter(pk=contact_id).exists():
        raise Http404()
    is_done = False
    if request.method == "POST":
        services.subscription_unsubscribe_by_link(
            contact_id=contact_id, newsletter_id=newsletter_id
        )
        is_done = True
    return render(
        request,
        "company/unsubscribe.html",
        {"newsletter": newsletter, "is_done": is_done, "token": token},
    )
