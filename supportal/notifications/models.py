"""Who is told what: pending notifications, the footer, agents' choices, held addresses, and
each request's reply address. The rules themselves are in ``services.py`` (see
docs/notifications.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from supportal.core.models import DueWork, SingletonModel


class PendingState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed for good")


class PendingNotification(DueWork):
    """One action on a request waiting to become mail: the events one actor wrote on one
    ticket at one instant (a status change and its comment are one action, one mail).

    Written by ``notification_event_record`` in the service's transaction; the worker turns it
    into outbox rows after commit.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the system acted."),
    )
    occurred_at = models.DateTimeField(_("happened at"))
    event_ids = models.JSONField(_("events"), default=list)
    state = models.CharField(
        _("state"), max_length=10, choices=PendingState.choices, default=PendingState.PENDING
    )
    last_error = models.TextField(_("last error"), blank=True)
    email_count = models.PositiveSmallIntegerField(_("e-mails queued"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending notification")
        verbose_name_plural = _("pending notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["claim_token"], name="notification_claim"),
            models.Index(fields=["ticket", "occurred_at"], name="notification_ticket_at"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class NotificationSettings(SingletonModel):
    """The support channels every customer mail ends with (docs/requirements.md#notifications, N1).
    One row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    team_name = models.CharField(
        _("team name"),
        max_length=120,
        blank=True,
        help_text=_('Signs every mail, e.g. "Tecnet Helpdesk team". Empty: "The support team".'),
    )
    support_email = models.EmailField(_("support e-mail address"), blank=True)
    portal_url = models.URLField(
        _("portal address"), blank=True, help_text=_("Empty: this server's public address.")
    )
    phone = models.CharField(_("telephone"), max_length=60, blank=True)
    working_hours = models.CharField(
        _("working hours"), max_length=200, blank=True, help_text=_("e.g. Mon–Fri 08:00–17:00")
    )
    footer_note = models.TextField(
        _("footer note"),
        blank=True,
        help_text=_("Printed under the channels, as written (e.g. use only these channels)."),
    )

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="notifications_settings_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Notification settings"))

    @property
    def portal_address(self) -> str:
        return self.portal_url or settings.SUPPORTAL_BASE_URL


class AgentNotificationPreference(models.Model):
    """Which of the agent mails an agent wants. No row: all of them. (SLA breaches always
    arrive.)"""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_notification_preference",
    )
    has_new_ticket_mail = models.BooleanField(_("a new request on my desks"), default=True)
    has_customer_answer_mail = models.BooleanField(
        _("a customer's answer on a request assigned to me"), default=True
    )
    has_assignment_mail = models.BooleanField(_("a request assigned to me"), default=True)
    has_third_party_answer_mail = models.BooleanField(
        _("a third party's answer recorded by someone else on my request"), default=True
    )
    has_sla_warning_mail = models.BooleanField(
        _("an SLA deadline is near on a request I am responsible for"), default=True
    )
    has_cancellation_mail = models.BooleanField(
        _("a request assigned to me is cancelled"), default=True
    )

    class Meta:
        verbose_name = _("agent notification preference")
        verbose_name_plural = _("agent notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("The address bounced permanently")
    COMPLAINT = "complaint", _("The recipient reported our mail as spam")
    MANUAL = "manual", _("Stopped by an administrator")


class SuppressedAddress(models.Model):
    """An address we do not send to: its mail is kept in the outbox as held, with the reason."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    reason = models.CharField(
        _("reason"),
        max_length=20,
        choices=SuppressionReason.choices,
        default=SuppressionReason.HARD_BOUNCE,
    )
    detail = models.TextField(
        _("detail"), blank=True, help_text=_("e.g. the mail server's answer in the bounce.")
    )
    created_at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("held address")
        verbose_name_plural = _("held addresses")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class TicketReplyAddress(models.Model):
    """The unguessable token of a request's reply address, ``support+<token>@domain``."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="reply_address"
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply address")
        verbose_name_plural = _("reply addresses")

    def __str__(self) -> str:
        return self.token


class PendingSlaNotification(DueWork):
    """One SLA event (a warning, a breach, a reply reminder or overdue) waiting to become mail.

    Written by ``notification_sla_event_record`` in the sweeper's transaction, one per SlaEvent
    (the one-to-one makes it once); the worker queue ``notifications.sla`` claims it after
    commit, so each SlaEvent is mailed once however many workers run.
    """

    sla_event = models.OneToOneField(
        "sla.SlaEvent", on_delete=models.CASCADE, related_name="pending_notification"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PendingState.choices, default=PendingState.PENDING
    )
    last_error = models.TextField(_("last error"), blank=True)
    email_count = models.PositiveSmallIntegerField(_("e-mails queued"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending SLA notification")
        verbose_name_plural = _("pending SLA notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_sla_due",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["claim_token"], name="notification_sla_claim"),
        ]

    def __str__(self) -> str:
        return f"SLA event {self.sla_event_id}"


# The mails whose wording administrators may override (docs/notifications.md).
EDITABLE_TEMPLATES = (
    ("ticket_created", _("Request received (customer)")),
    ("ticket_updated", _("Request updated (customer)")),
    ("customer_reply_reminder", _("Answer due soon (customer)")),
    ("agent_new_ticket", _("New request on a desk (agent)")),
    ("agent_assigned", _("Request assigned (agent)")),
    ("agent_customer_answer", _("Customer answered (agent)")),
    ("agent_third_party_answer", _("Third party answered (agent)")),
    ("participant_added", _("Request shared with you (customer)")),
    ("quote_proposed", _("Quote proposed (customer)")),
    ("agent_sla", _("SLA deadline near, missed, or customer's answer overdue (agent)")),
    ("agent_cancelled", _("Request cancelled (agent)")),
)


class NotificationTemplate(models.Model):
    """An administrator's wording of one mail in one language, used instead of the files.

    An empty part (subject, text or HTML) keeps the file's version of that part.
    """

    template = models.CharField(_("mail"), max_length=40, choices=EDITABLE_TEMPLATES)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.TextField(_("subject"), blank=True)
    body_text = models.TextField(_("plain text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["template", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language"], name="notification_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"

    def clean(self) -> None:
        from supportal.notifications.rendering import template_check

        template_check(
            {"subject": self.subject, "body_text": self.body_text, "body_html": self.body_html}
        )
