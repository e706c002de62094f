"""The company directory's pages, served to both interfaces: customer admins in the portal and
agents in the workspace, each passing its own :class:`Side` (templates and URL names). The
rules live in the selectors and services of ``supportal.company``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import Contact, Organization
from supportal.company import selectors, services
from supportal.company.forms import (
    ContactForm,
    ContactSearchForm,
    SubscriptionsForm,
)
from supportal.company.models import Subscription
from supportal.core.errors import DomainError, NotFound

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


def not_found_404(exc: NotFound) -> Http404:
    return Http404(exc.message)


def _contact(request: AuthenticatedHttpRequest, contact_id: int) -> Contact:
    try:
        return selectors.contact_get_for_user(request.user, contact_id)
    except NotFound as exc:
        raise not_found_404(exc) from exc


def contacts_page(
    request: AuthenticatedHttpRequest, organization: Organization, side: Side
) -> HttpResponse:
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


def contact_new_page(
    request: AuthenticatedHttpRequest, organization: Organization, side: Side
) -> HttpResponse:
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


def contact_page(request: AuthenticatedHttpRequest, contact_id: int, side: Side) -> HttpResponse:
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


def contact_subscriptions_save(
    request: AuthenticatedHttpRequest, contact_id: int, side: Side
) -> HttpResponse:
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


def contact_invite_do(
    request: AuthenticatedHttpRequest, contact_id: int, side: Side
) -> HttpResponse:
    contact = _contact(request, contact_id)
    try:
        user = services.contact_invite(contact=contact, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if user.organization_id != contact.organization_id:
            text = _(
                "%(email)s already has an account. We asked its owner by e-mail to confirm"
                " joining your company; it joins when they do."
            )
        else:
            text = _("Invitation sent to %(email)s.")
        messages.success(request, text % {"email": contact.email})
    return redirect(side.contact_url, contact.pk)


def contact_active_do(
    request: AuthenticatedHttpRequest, contact_id: int, side: Side
) -> HttpResponse:
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
