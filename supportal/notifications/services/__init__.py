"""Notifications: the events of an action become the mails of docs/requirements.md#notifications.

The flow (docs/notifications.md):

1. ``tickets.services._event`` calls :func:`notification_event_record` for every Event, in the
   service's transaction. Events of one ticket, actor and instant are one action and share one
   :class:`PendingNotification` row (a status change and its comment: one mail).
2. The worker queue :func:`notifications_send_due` claims due rows after commit and, in one
   transaction per row, decides who is told what and queues the mails with
   ``mail.outbox.email_queue`` (never SMTP here).
3. The outbox worker sends them, retrying with the same Message-ID.
"""

from __future__ import annotations

from supportal.notifications.services.addresses import (
    MUTE_SALT,
    REPLY_LOCAL_PART,
    address_release,
    address_suppress,
    bounce_record,
    mute_token_make,
    mute_url,
    reply_address_get,
    reply_address_lookup,
    reply_token_resolve,
    thread_root_id,
    ticket_mute_by_token,
)
from supportal.notifications.services.mailer import (
    LAST_ERROR_MAX_LENGTH,
    notification_mails_queue,
    sla_mails_queue,
)
from supportal.notifications.services.preferences import (
    AGENT_PREFERENCE_FIELDS,
    agent_preference_set,
    notification_template_save,
)
from supportal.notifications.services.recording import (
    RECORDED_KINDS,
    notification_event_record,
    notification_sla_event_record,
    notification_sla_events_record,
)
from supportal.notifications.services.rules import AGENT_MAILS, Recipient, TicketAction
from supportal.notifications.services.worker import (
    BATCH_SIZE,
    CLAIM_LEASE_DURATION,
    MAX_ATTEMPTS,
    notifications_send_due,
    notifications_sla_send_due,
)

__all__ = [
    "AGENT_MAILS",
    "AGENT_PREFERENCE_FIELDS",
    "BATCH_SIZE",
    "CLAIM_LEASE_DURATION",
    "LAST_ERROR_MAX_LENGTH",
    "MAX_ATTEMPTS",
    "MUTE_SALT",
    "RECORDED_KINDS",
    "REPLY_LOCAL_PART",
    "Recipient",
    "TicketAction",
    "address_release",
    "address_suppress",
    "agent_preference_set",
    "bounce_record",
    "mute_token_make",
    "mute_url",
    "notification_event_record",
    "notification_mails_queue",
    "notification_sla_event_record",
    "notification_sla_events_record",
    "notification_template_save",
    "notifications_send_due",
    "notifications_sla_send_due",
    "reply_address_get",
    "reply_address_lookup",
    "reply_token_resolve",
    "sla_mails_queue",
    "thread_root_id",
    "ticket_mute_by_token",
]
