"""Admin for the outbox: read-only, except sending failed or held mail again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.core.admin import ReadOnlyAdmin
from supportal.mail.models import (
    DiscardedSender,
    InboundMessage,
    InboundState,
    OutboundEmail,
    OutboundState,
    PersonalReplyAddress,
)

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

    list_display = (
        "received_at",
        "message_id",
        "envelope_from",
        "channel",
        "state",
        "sender_verified",
        "what_became_of_it",
        "size",
    )
    list_filter = ("state", "channel", "sender_verified")
    actions = ("process_again", "attach_to_named_request", "make_new_request", "discard")
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
        "peer_ip",
        "helo",
        "sender_verified",
        "authentication",
        "marked_unverified",
        "size",
        "sha256",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "outcome",
        "processed_at",
    )

    @admin.display(description=_("outcome"))
    def what_became_of_it(self, message: InboundMessage) -> str:
        from supportal.mail.inbound import outcome_describe

        return outcome_describe(message)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_inboundmessage")

    def _process(self, request: HttpRequest, queryset: QuerySet, *, decision: str = "") -> None:
        from supportal.mail.inbound import inbound_process_one, outcome_describe
        from supportal.mail.quarantine import inbound_decide

        for message in queryset.exclude(state=InboundState.PROCESSED).order_by("pk"):
            if decision:
                message = inbound_decide(message=message, decision=decision, actor=request.user)
            else:
                message = inbound_process_one(message.pk, again=True)
            self.message_user(
                request,
                _("Message #%(id)s: %(outcome)s")
                % {"id": message.pk, "outcome": outcome_describe(message)},
            )

    @admin.action(description=_("Process again"), permissions=["decide"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._process(request, queryset)

    @admin.action(
        description=_("Attach to the request it names (as an internal note for strangers)"),
        permissions=["decide"],
    )
    def attach_to_named_request(
        self, request: HttpRequest, queryset: QuerySet[InboundMessage]
    ) -> None:
        self._process(request, queryset.filter(state=InboundState.QUARANTINED), decision="attach")

    @admin.action(description=_("Make a new request"), permissions=["decide"])
    def make_new_request(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._process(request, queryset.filter(state=InboundState.QUARANTINED), decision="new")

    @admin.action(description=_("Discard"), permissions=["decide"])
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        from supportal.mail.quarantine import DISCARD, inbound_decide

        for message in queryset.filter(state__in=[InboundState.QUARANTINED, InboundState.FAILED]):
            inbound_decide(message=message, decision=DISCARD, actor=request.user)
        self.message_user(request, _("Discarded."))


@admin.register(PersonalReplyAddress)
class PersonalReplyAddressAdmin(ReadOnlyAdmin):
    """Which reply address was issued to whom, for a request (docs/security.md)."""

    list_display = ("token", "ticket", "user", "created_at")
    list_select_related = ("ticket", "user")
    search_fields = ("token", "ticket__reference", "user__email")
    date_hierarchy = "created_at"


@admin.register(DiscardedSender)
class DiscardedSenderAdmin(admin.ModelAdmin):
    """Agents' "always discard from this sender" rules, per desk (docs/workspace.md)."""

    list_display = ("address", "desk", "created_by", "created_at")
    list_filter = ("desk",)
    list_select_related = ("desk", "created_by")
    search_fields = ("address",)
    raw_id_fields = ("created_by",)
