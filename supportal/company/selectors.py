"""Reads with permission built in. What a user may not see is ``NotFound``.

Contacts: agents and administrators see every company's directory; a customer admin sees their
own company's; anyone else sees none. Downloads and newsletters: a customer sees those of the
products their company has (lists without a product are offered to everyone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from supportal.accounts.models import Contact, Organization, OrganizationProduct, User
from supportal.company.models import (
    ContactChange,
    Download,
    NewsletterDelivery,
    NewsletterIssue,
    NewsletterList,
    SupportLine,
    Topic,
)
from supportal.core.errors import NotFound
from supportal.desks.models import Product


def is_support(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_agent or user.is_superuser))


def may_manage_contacts(user: User, organization: Organization | None) -> bool:
    if organization is None or not user.is_authenticated or not user.is_active:
        return False
    if is_support(user):
        return True
    return bool(user.is_customer_admin and user.organization_id == organization.pk)


def organization_get_for_user(user: User, organization_id: int) -> Organization:
    """A company whose directory ``user`` manages."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not may_manage_contacts(user, organization):
        raise NotFound()
    return organization


def contact_list_for_user(
    user: User, *, organization: Organization, query: str = "", state: str = ""
) -> QuerySet[Contact]:
    """The directory of ``organization``, searched by name, e-mail, mobile or function."""
    if not may_manage_contacts(user, organization):
        raise NotFound()
    contacts = Contact.objects.filter(organization=organization).select_related("user")
    for word in query.split():
        contacts = contacts.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(mobile__icontains=word)
            | Q(function__icontains=word)
        )
    if state == "active":
        contacts = contacts.filter(is_active=True)
    elif state == "inactive":
        contacts = contacts.filter(is_active=False)
    return contacts.order_by("last_name", "first_name", "pk")


def contact_get_for_user(user: User, contact_id: int) -> Contact:
    contact = Contact.objects.select_related("organization", "user").filter(pk=contact_id).first()
    if contact is None or not may_manage_contacts(user, contact.organization):
        raise NotFound()
    return contact


def contact_changes(contact: Contact) -> QuerySet[ContactChange]:
    return contact.changes.select_related("actor")


def product_ids_for_user(user: User) -> set[int] | None:
    """The products whose content ``user`` sees; None means every product (the support team)."""
    if is_support(user):
        return None
    if not user.is_authenticated or user.organization_id is None:
        return set()
    return set(
        OrganizationProduct.objects.filter(organization_id=user.organization_id).values_list(
            "product_id", flat=True
        )
    )


def newsletter_lists_for_organization(organization: Organization) -> QuerySet[NewsletterList]:
    """The active lists a company's contacts may receive."""
    products = OrganizationProduct.objects.filter(organization=organization).values("product_id")
    return NewsletterList.objects.filter(is_active=True).filter(
        Q(product__isnull=True) | Q(product_id__in=products)
    )


def own_subscriptions(user: User) -> QuerySet[NewsletterList]:
    """The lists the user's own contact record receives (none without a linked contact)."""
    if not user.is_authenticated:
        return NewsletterList.objects.none()
    return NewsletterList.objects.filter(subscriptions__contact__user=user).order_by("name")


def download_list_for_user(
    user: User, *, product_id: int | None = None, topic_id: int | None = None
) -> QuerySet[Download]:
    """Newest first; a customer sees only their company's products' downloads."""
    downloads = Download.objects.select_related("product", "topic")
    allowed = product_ids_for_user(user)
    if allowed is not None:
        downloads = downloads.filter(product_id__in=allowed)
    if product_id:
        downloads = downloads.filter(product_id=product_id)
    if topic_id:
        downloads = downloads.filter(topic_id=topic_id)
    return downloads.order_by("-released_on", "-pk")


def download_get_for_user(user: User, download_id: int) -> Download:
    download = Download.objects.select_related("product", "topic").filter(pk=download_id).first()
    allowed = product_ids_for_user(user)
    if download is None or (allowed is not None and download.product_id not in allowed):
        raise NotFound()
    return download


def download_filter_choices(user: User) -> tuple[QuerySet[Product], QuerySet[Topic]]:
    allowed = product_ids_for_user(user)
    products = Product.objects.all()
    if allowed is not None:
        products = products.filter(pk__in=allowed)
    return products, Topic.objects.all()


def newsletter_list_for_support(user: User) -> QuerySet[NewsletterList]:
    if not is_support(user):
        raise NotFound()
    return NewsletterList.objects.select_related("product").annotate(
        subscriber_count=Count("subscriptions", distinct=True)
    )


def newsletter_get_for_support(user: User, newsletter_id: int) -> NewsletterList:
    newsletter = newsletter_list_for_support(user).filter(pk=newsletter_id).first()
    if newsletter is None:
        raise NotFound()
    return newsletter


def issue_list(newsletter: NewsletterList) -> QuerySet[NewsletterIssue]:
    return newsletter.issues.select_related("sent_by").annotate(
        delivery_count=Count("deliveries"),
        queued_count=Count("deliveries", filter=Q(deliveries__state="queued")),
    )


def issue_get_for_support(user: User, issue_id: int) -> NewsletterIssue:
    if not is_support(user):
        raise NotFound()
    issue = NewsletterIssue.objects.select_related("newsletter").filter(pk=issue_id).first()
    if issue is None:
        raise NotFound()
    return issue


def issue_report(issue: NewsletterIssue) -> QuerySet[NewsletterDelivery]:
    """Who received what: every delivery with its contact, company and outbox mail."""
    return issue.deliveries.select_related("contact__organization", "outbound").order_by(
        "contact__organization__name", "contact__last_name", "pk"
    )


@dataclass
class SupportHours:
    working_hours: str
    phone: str
    support_email: str
    emergency_phone: str
    emergency_note: str
    is_closed: bool
    opens_at: dt.datetime | None
    holidays: list[dt.date] = field(default_factory=list)


def support_hours(*, now: dt.datetime | None = None, holiday_days: int = 0) -> SupportHours:
    """Working hours, the emergency line and whether support is closed at ``now``, by the SLA
    default calendar (none: never closed). ``holiday_days`` > 0 also lists the holidays in the
    coming days (the help page)."""
    from supportal.notifications.models import NotificationSettings
    from supportal.sla import clock
    from supportal.sla.services import calendar_business, default_calendar

    now = now or timezone.now()
    channels = NotificationSettings.load()
    line = SupportLine.objects.filter(pk=1).first() or SupportLine()
    calendar = default_calendar()
    years = range(now.year, now.year + 2)
    business = calendar_business(calendar, years=years)
    is_closed, opens_at, holidays = False, None, []
    if business.has_working_time:
        opens_at = clock.next_working_instant(business, now)
        is_closed = opens_at > now
        if holiday_days:
            today = now.astimezone(business.zone).date()
            end = today + dt.timedelta(days=holiday_days)
            holidays = sorted(d for d in business.holidays if today <= d <= end)
    return SupportHours(
        working_hours=channels.working_hours,
        phone=channels.phone,
        support_email=channels.support_email,
        emergency_phone=line.emergency_phone,
        emergency_note=line.emergency_note,
        is_closed=is_closed,
        opens_at=opens_at if is_closed else None,
        holidays=holidays,
    )
