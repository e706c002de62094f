"""Webhooks: record deliveries for ticket events, sign and send them, retry, disable.

``webhook_event_record`` is a ticket-events listener (tickets/events.py): in the change's own
transaction it writes one delivery per active endpoint that wants the event and may see it, so
nothing is ever sent from a request and a rolled-back change sends nothing. The worker's queue
``webhooks.deliver`` claims due deliveries (``core.jobs.claim_due``) and posts them, signed
with the Standard Webhooks scheme (docs/api.md#webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import InvalidInput
from supportal.core.jobs import claim_due, retry_delay
from supportal.core.quiet import is_quiet
from supportal.mail.outbox import email_queue
from supportal.tickets.models import Event, Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import Role
from supportal.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    secret_new,
)
from supportal.webhooks.payloads import event_data, ticket_data

logger = logging.getLogger("supportal.webhooks")

BATCH_SIZE = 20
ROUNDS_PER_TICK = 10
CLAIM_LEASE_DURATION = timedelta(minutes=2)
# 1, 2, 4 ... minutes, then hourly: 30 attempts cover about a day.
MAX_ATTEMPTS = 30
RETRY_BASE_DURATION = timedelta(minutes=1)
RETRY_CAP_DURATION = timedelta(hours=1)
RESPONSE_MAX_BYTES = 64 * 1024
RESPONSE_EXCERPT_CHARS = 1000
USER_AGENT = "Supportal-Webhooks/1"
ENDPOINTS_CACHE_KEY = "webhooks:endpoints:v2"  # v2: with organization_id


# -- recording (the listener) ---------------------------------------------------------------


def _active_endpoints() -> list[dict]:
    """The active endpoints' routing data, cached: with no endpoint, a ticket action costs no
    query for webhooks. Every save or deletion of an endpoint clears the cache (apps.py)."""
    rows = cache.get(ENDPOINTS_CACHE_KEY)
    if rows is None:
        rows = list(
            WebhookEndpoint.objects.filter(is_active=True).values(
                "pk", "event_kinds", "desk_id", "organization_id", "owner_id"
            )
        )
        cache.set(ENDPOINTS_CACHE_KEY, rows, timeout=300)
    return rows


def endpoints_wanting(kind: str) -> list[dict]:
    """The active endpoints' routing data (pk, event_kinds, desk_id, organization_id, owner_id)
    of those that want events of ``kind`` (none chosen: every kind), whatever their desk."""
    return [
        row for row in _active_endpoints() if not row["event_kinds"] or kind in row["event_kinds"]
    ]


def endpoints_cache_clear(**_kwargs: object) -> None:
    cache.delete(ENDPOINTS_CACHE_KEY)


def endpoints_cache_known_empty() -> None:
    """Tell the cache there is no endpoint, without asking the database (an empty test
    database; never call it where endpoints may exist)."""
    cache.set(ENDPOINTS_CACHE_KEY, [], timeout=300)


def _may_see(owner: User, ticket: Ticket, event: Event) -> bool:
    roles = ticket_roles(owner, ticket)
    if not roles:
        return False
    is_support = bool({Role.AGENT, Role.TEAM_LEAD} & roles)
    return is_support or (event.is_public and (event.comment is None or event.comment.is_public))


def webhook_event_record(event: Event) -> list[WebhookDelivery]:
    """Write a delivery of ``event`` for each active endpoint that wants its kind and desk and
    whose person may see it. In the caller's transaction; side effect: the delivery rows.
    None for what an import writes (``core.quiet``): integrations hear of new work, not of
    years of history."""
    if is_quiet():
        return []
    routes = [
        row
        for row in _active_endpoints()
        if (not row["event_kinds"] or event.kind in row["event_kinds"])
        and (row["desk_id"] is None or row["desk_id"] == event.ticket.desk_id)
        and row["organization_id"] in (None, event.ticket.organization_id)
    ]
    if not routes:
        return []
    ticket = (
        Ticket.objects.select_related(
            "desk", "requester", "organization", "assignee", "priority", "request_type", "product"
        )
        .filter(pk=event.ticket_id)
        .get()
    )
    owners = User.objects.in_bulk({row["owner_id"] for row in routes})
    event_type = f"ticket.{event.kind}"
    body = {
        "type": event_type,
        "timestamp": event.created_at,
        "data": {"event": event_data(event), "ticket": ticket_data(ticket)},
    }
    allowed = [
        row["pk"]
        for row in routes
        if (owner := owners.get(row["owner_id"])) is not None
        and owner.is_active
        and _may_see(owner, ticket, event)
    ]
    return deliveries_write(
        endpoint_ids=allowed,
        event_type=event_type,
        body=body,
        at=event.created_at,
        reference=ticket.reference,
    )


def deliveries_write(
    *,
    endpoint_ids: list[int],
    event_type: str,
    body: dict,
    at: datetime,
    reference: str = "",
) -> list[WebhookDelivery]:
    """One delivery of ``body`` per endpoint, due at ``at``, and the workers woken: what every
    listener (ticket, SLA, new-customer events) ends with. Side effect: the rows."""
    # Stored as JSON text would be sent: datetimes as ISO strings.
    payload = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint_id=endpoint_id,
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            ticket_reference=reference,
            payload=payload,
            next_attempt_at=at,
            created_at=at,
        )
        for endpoint_id in endpoint_ids
    )
    if created:
        from supportal.core.jobs import wake_workers

        wake_workers()
    return created


# -- the target check (no request forgery against the internal network) --------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(n, strict=False) for n in settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS
    ]


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the connection goes to


def target_resolve(url: str) -> Target:
    """Check ``url`` and resolve its host: http(s) only, and every address public unless in
    ``SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS``. The connection then goes to the checked address, so
    a name cannot resolve to a public address here and a private one at connect time.

    Raises InvalidInput with the reason.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            _("The URL must start with http:// or https:// and name a host."), field="url"
        )
    if parts.username or parts.password:
        raise InvalidInput(_("The URL must not carry a user name or password."), field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidInput(_("The URL's port is not valid."), field="url") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(
            _("The host %(host)s cannot be found.") % {"host": parts.hostname}, field="url"
        ) from exc
    allowed = _allowed_networks()
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not _is_public(address) and not any(address in net for net in allowed):
            raise InvalidInput(
                _(
                    "%(host)s is a private, loopback or link-local address: webhooks are not "
                    "sent into the internal network unless the operator allows it "
                    "(SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS)."
                )
                % {"host": parts.hostname},
                field="url",
            )
        addresses.append(str(address))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


# -- signing and sending ---------------------------------------------------------------------


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature: ``v1,`` + base64(HMAC-SHA256(key, id.timestamp.body)),
    the key being the base64 part of ``whsec_…``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def endpoint_secret_rotate(endpoint: WebhookEndpoint, *, now: datetime) -> WebhookEndpoint:
    """Give the endpoint a new signing secret; the old one keeps signing too (a second signature)
    for ``SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS`` (docs/api.md#webhooks), so the receiver can
    switch without refusing a delivery. A rotation during an overlap ends the older overlap."""
    overlap = timedelta(hours=settings.SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.previous_secret = endpoint.secret if overlap else ""
    endpoint.previous_secret_until = now + overlap if overlap else None
    endpoint.secret = secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint


def delivery_post(delivery: WebhookDelivery, *, now: datetime) -> Outcome:
    """POST the delivery to its endpoint, signed; never raises for network trouble."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    # The real sending time (receivers refuse old timestamps), whatever clock ``now`` is.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        # During a rotation's overlap, one signature per valid secret, separated by a space (the
        # scheme's way): a receiver with either secret verifies the delivery.
        "webhook-signature": " ".join(
            signature(secret, delivery.message_id, timestamp, body)
            for secret in endpoint.secrets_signing(now)
        ),
    }
    started = time.monotonic()
    try:
        target = target_resolve(endpoint.url)
        connection_class = (
            _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        )
        connection = connection_class(target, timeout=settings.SUPPORTAL_WEBHOOK_TIMEOUT)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read(RESPONSE_MAX_BYTES)
            status = response.status
        finally:
            connection.close()
    except InvalidInput as exc:
        return Outcome(None, exc.message, "", _elapsed(started))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], "", _elapsed(started))
    excerpt = content.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_CHARS]
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return Outcome(status, error, excerpt, _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _retry_at(attempts: int, now: datetime) -> datetime:
    delay = retry_delay(
        attempts, base_duration=RETRY_BASE_DURATION, cap_duration=RETRY_CAP_DURATION
    )
    # Up to a fifth more at random, so a recovering receiver is not hit by every retry at once.
    return now + delay + timedelta(seconds=random.uniform(0, delay.total_seconds() / 5))


def delivery_outcome_record(delivery: WebhookDelivery, outcome: Outcome, *, now: datetime) -> None:
    """Record one attempt: delivered, or retried later, or failed after the last attempt; the
    endpoint's failure streak, and its disabling when the streak is too long."""
    fields: dict[str, object] = {
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_duration_ms": outcome.duration_ms,
        "response_excerpt": outcome.excerpt,
    }
    if outcome.ok:
        fields.update(state=DeliveryState.DELIVERED, delivered_at=now)
    elif delivery.attempts >= MAX_ATTEMPTS:
        fields.update(state=DeliveryState.FAILED)
    else:
        fields.update(next_attempt_at=_retry_at(delivery.attempts, now))
    with transaction.atomic():
        # Only the worker that holds the claim records: a late one changes nothing.
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, claim_token=delivery.claim_token, state=DeliveryState.PENDING
        ).update(**fields)
        if not updated:
            return
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if outcome.ok:
            if endpoint.failing_since is not None:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            return
        if endpoint.failing_since is None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
            return
        streak = timedelta(days=settings.SUPPORTAL_WEBHOOK_DISABLE_AFTER_DAYS)
        if endpoint.is_active and now - endpoint.failing_since >= streak:
            endpoint_disable(endpoint, now=now)


def endpoint_disable(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Stop sending to an endpoint that has failed for too long, and tell the administrators.
    Its pending deliveries stay in the log as failed. Side effects: the mail, the rows."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_at=now)
    WebhookDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, last_error=_("The endpoint was disabled.")
    )
    endpoints_cache_clear()
    admins = list(
        User.objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True)
    )
    if admins:
        email_queue(
            to=admins,
            template="webhook_disabled",
            context={
                "endpoint_name": endpoint.name,
                "endpoint_url": endpoint.url,
                "failing_since": endpoint.failing_since,
                "days": settings.SUPPORTAL_WEBHOOK_DISABLE_AFTER_DAYS,
            },
            language=settings.LANGUAGE_CODE,
        )
    logger.warning(
        "webhook endpoint %s disabled after failing since %s", endpoint.pk, endpoint.failing_since
    )


def webhooks_deliver_due(now: datetime) -> int:
    """The worker's queue: claim due deliveries of active endpoints and send them.

    In order per ticket and endpoint: a delivery waits while an earlier one of the same ticket
    to the same endpoint is still pending (being retried), so a receiver that was down gets
    every event once, in order, when it recovers.
    """
    earlier_pending = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        ticket_reference=OuterRef("ticket_reference"),
        state=DeliveryState.PENDING,
        pk__lt=OuterRef("pk"),
    )
    due = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, endpoint__is_active=True
    ).exclude(Exists(earlier_pending))
    handled = 0
    # A claim takes one delivery per ticket and endpoint: claim again while there is more, so
    # a burst of events on one ticket goes out in one tick, still in order.
    for _round in range(ROUNDS_PER_TICK):
        deliveries = claim_due(due, now=now, limit=BATCH_SIZE, lease_duration=CLAIM_LEASE_DURATION)
        if not deliveries:
            break
        endpoints = WebhookEndpoint.objects.in_bulk({d.endpoint_id for d in deliveries})
        for delivery in deliveries:
            delivery.endpoint = endpoints[delivery.endpoint_id]
            outcome = delivery_post(delivery, now=now)
            delivery_outcome_record(delivery, outcome, now=now)
        handled += len(deliveries)
    return handled


def webhook_redeliver(
    *, actor: User, delivery: WebhookDelivery, now: datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again (administrators, from its log): a new delivery with the same
    message id and payload (receivers de-duplicate by ``webhook-id``), due now; the old row
    stays in the log as it was."""
    if not actor.is_superuser:
        from supportal.core.errors import PermissionRefused

        raise PermissionRefused(_("Only administrators redeliver webhooks."))
    at = now or timezone.now()
    copy = WebhookDelivery.objects.create(
        endpoint_id=delivery.endpoint_id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        ticket_reference=delivery.ticket_reference,
        payload=delivery.payload,
        next_attempt_at=at,
        created_at=at,
    )
    return copy
