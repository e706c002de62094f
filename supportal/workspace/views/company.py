"""Agents' company pages: each company's contact directory (the customer admins' pages, with
the workspace's frame), publishing downloads, newsletters and their delivery reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import Organization
from supportal.company import pages, selectors, services
from supportal.company.forms import DownloadFilterForm, DownloadPublishForm, IssueForm
from supportal.core.errors import DomainError, NotFound
from supportal.workspace.views.common import agent_required

WORKSPACE = pages.Side(
    base_template="workspace/_base.html",
    contacts_url="workspace:company",
    contact_url="workspace:contact",
    contact_new_url="workspace:contact_new",
    is_workspace=True,
)
COMPANIES_PAGE_SIZE = 50


def _organization(request: AuthenticatedHttpRequest, organization_id: int) -> Organization:
    try:
        return selectors.organization_get_for_user(request.user, organization_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@agent_required
def companies(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    organizations = Organization.objects.annotate(contact_count=Count("contacts"))
    if query:
        organizations = organizations.filter(
            Q(name__icontains=query) | Q(registration_number__icontains=query)
        )
    page = Paginator(organizations.order_by("name", "pk"), COMPANIES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "company/companies.html",
        {"page": page, "query": query, "query_without_page": query_without_page.urlencode()},
    )


@agent_required
def company(request: AuthenticatedHttpRequest, organization_id: int) -> HttpResponse:
    return pages.contacts_page(request, _organization(request, organization_id), WORKSPACE)


@agent_required
def contact_new(request: AuthenticatedHttpRequest, organization_id: int) -> HttpResponse:
    return pages.contact_new_page(request, _organization(request, organization_id), WORKSPACE)


@agent_required
def contact(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    return pages.contact_page(request, contact_id, WORKSPACE)


@agent_required
@require_POST
def contact_subscriptions(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    return pages.contact_subscriptions_save(request, contact_id, WORKSPACE)


@agent_required
@require_POST
def contact_invite(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    return pages.contact_invite_do(request, contact_id, WORKSPACE)


@agent_required
@require_POST
def contact_active(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    return pages.contact_active_do(request, contact_id, WORKSPACE)


@agent_required
def downloads(request: AuthenticatedHttpRequest) -> HttpResponse:
    products, topics = selectors.download_filter_choices(request.user)
    filters = DownloadFilterForm(request.GET, products=products, topics=topics)
    items = selectors.download_list_for_user(
        request.user, product_id=filters.value("product"), topic_id=filters.value("topic")
    )
    page = Paginator(items, pages.DOWNLOADS_PAGE_SIZE).get_page(request.GET.get("page"))
    query_without_page = request.GET.copy()
    query_without_page.pop("page", None)
    return render(
        request,
        "company/downloads.html",
        {
            "filters": filters,
            "page": page,
            "query_without_page": query_without_page.urlencode(),
            "base_template": "workspace/_base.html",
            "publish_url": reverse("workspace:download_publish"),
        },
    )


@agent_required
def download_publish(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DownloadPublishForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.download_publish(
                actor=request.user,
                product=data["product"],
                topic=data["topic"],
                title=data["title"],
                version=data["version"],
                notes=data["notes"],
                released_on=data["released_on"],
                file=data["file"],
                notify_subscribers=data["notify_subscribers"],
            )
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None), exc.message)
        else:
            messages.success(request, _("Download published."))
            return redirect("workspace:downloads")
    return render(request, "company/download_publish.html", {"form": form})


@agent_required
def newsletters(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "company/newsletters.html",
        {"newsletters": selectors.newsletter_list_for_support(request.user)},
    )


@agent_required
def newsletter(request: AuthenticatedHttpRequest, newsletter_id: int) -> HttpResponse:
    try:
        item = selectors.newsletter_get_for_support(request.user, newsletter_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = IssueForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            issue = services.issue_send(
                newsletter=item,
                actor=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                download=form.cleaned_data["download"],
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            form.add_error(getattr(exc, "field", None), exc.message)
        else:
            messages.success(request, _("The issue is on its way to the subscribers."))
            return redirect("workspace:newsletter_issue", issue.pk)
    return render(
        request,
        "company/newsletter.html",
        {"newsletter": item, "issues": selectors.issue_list(item), "form": form},
    )


@agent_required
def newsletter_issue(request: AuthenticatedHttpRequest, issue_id: int) -> HttpResponse:
    try:
        issue = selectors.issue_get_for_support(request.user, issue_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "company/newsletter_issue.html",
        {"issue": issue, "deliveries": selectors.issue_report(issue)},
    )
