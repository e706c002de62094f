"""The worker queue that turns newsletter deliveries into outbox mail at a throttled pace.

Each tick hands at most ``per_minute - (mails handed over in the last minute)`` deliveries to
the outbox, so a list of thousands leaves over minutes instead of flooding the SMTP relay (and
the recipients' providers' rate limits). Deliveries are claimed with ``core.jobs.claim_due``,
so any number of workers share the work; racing workers may overshoot the pace by one batch.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from supportal.accounts.languages import contact_language
from supportal.company.models import DeliveryState, NewsletterDelivery, Subscription
from supportal.company.tokens import unsubscribe_token_make
from supportal.core.jobs import claim_due
from supportal.mail.outbox import email_queue

logger = logging.getLogger("supportal.worker")

DEFAULT_PER_MINUTE = 60
LEASE_DURATION = dt.timedelta(minutes=5)


def per_minute() -> int:
    return int(getattr(settings, "SUPPORTAL_NEWSLETTER_PER_MINUTE", DEFAULT_PER_MINUTE))


def unsubscribe_url(*, contact_id: int, newsletter_id: int) -> str:
    token = unsubscribe_token_make(contact_id=contact_id, newsletter_id=newsletter_id)
    return settings.SUPPORTAL_BASE_URL.rstrip("/") + reverse(
        "portal:newsletter_unsubscribe", args=[token]
    )


def _deliver(delivery: NewsletterDelivery, *, now: dt.datetime) -> None:
    issue = delivery.issue
    contact = delivery.contact
    with transaction.atomic():
        is_subscribed = Subscription.objects.filter(
            contact=contact, newsletter_id=issue.newsletter_id
        ).exists()
        if not (is_subscribed and contact.is_active and contact.email):
            state, outbound = DeliveryState.SKIPPED, None
        else:
            link = unsubscribe_url(contact_id=contact.pk, newsletter_id=issue.newsletter_id)
            language = contact_language(contact)
            outbound = email_queue(
                to=contact.email,
                template="newsletter_issue",
                context={
                    "issue": issue,
                    "newsletter": issue.newsletter,
                    "contact": contact,
                    "download": issue.download,
                    "unsubscribe_url": link,
                },
                language=language,
                # RFC 2369 and RFC 8058: mail programs offer their own one-click unsubscribe.
                headers={
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "List-Id": f"<newsletter-{issue.newsletter_id}.supportal>",
                    "Precedence": "bulk",
                },
                attachments=[attachment.outbox_ref for attachment in issue.attachments.all()],
            )
            state = DeliveryState.QUEUED
        NewsletterDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
            state=state, queued_at=now, outbound=outbound
        )


def newsletter_send_due(now: dt.datetime) -> int:
    """Worker queue ``company.newsletter``: queue the next deliveries within the pace.

    Side effects: claims deliveries, writes one outbox row per subscribed, active contact,
    marks the others skipped. Returns how many were handled."""
    recent = NewsletterDelivery.objects.filter(
        queued_at__gt=now - dt.timedelta(minutes=1), state=DeliveryState.QUEUED
    ).count()
    room = per_minute() - recent
    if room <= 0:
        return 0
    claimed = claim_due(
        NewsletterDelivery.objects.filter(state=DeliveryState.PENDING),
        now=now,
        limit=room,
        lease_duration=LEASE_DURATION,
    )
    handled = 0
    for delivery in (
        NewsletterDelivery.objects.select_related(
            "issue__newsletter", "issue__download", "contact__user"
        )
        .prefetch_related("issue__attachments")
        .filter(pk__in=[d.pk for d in claimed])
    ):
        delivery.claim_token = next(d.claim_token for d in claimed if d.pk == delivery.pk)
        try:
            _deliver(delivery, now=now)
        except Exception:
            logger.exception("newsletter delivery %s failed", delivery.pk)
            continue
        handled += 1
    return handled
