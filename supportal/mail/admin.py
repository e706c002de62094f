"""Admin for the outbox: read-only, except sending failed or held mail again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.core.admin import ReadOnlyAdmin
from supportal.mail.models import InboundMessage, OutboundEmail, OutboundState

RETRYABLE_STATES = (OutboundState.FAILED, OutboundState.HELD)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = (
        "subject",
        "recipients",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    )
    list_filter = ("state", "template", "language", "created_at", "sent_at")
    search_fields = ("subject", "to", "message_id", "ticket__reference")
    actions = ("retry_now",)

    @admin.display(description=_("to"))
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join(email.to)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_outboundemail")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        # Attempts start again from zero: a row that failed for good has used them all, and
        # the worker would give up on it at once.
        count = queryset.filter(state__in=RETRYABLE_STATES).update(
            state=OutboundState.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            claim_token="",
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail will be sent again.",
                "%(count)d e-mails will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    """Received mail as stored; failed messages are listed here with their error."""

    list_display = ("received_at", "message_id", "envelope_from", "channel", "state", "size")
    list_filter = ("state", "channel")
    search_fields = ("message_id", "envelope_from", "sha256")
    date_hierarchy = "received_at"
    exclude = ("raw",)
    readonly_fields = (
        "received_at",
        "message_id",
        "envelope_from",
        "recipients",
        "mailbox",
        "channel",
        "size",
        "sha256",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "outcome",
        "processed_at",
    )
