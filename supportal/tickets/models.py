"""Tickets (customers call them requests) and everything said and done on them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from supportal.tickets.events import EventKind, Payload, payload_from
from supportal.tickets.workflow import OPEN_STATUSES, Status, WaitingReason

DETAILS_MAX_LENGTH = 8000
# Ticket.priority_rank of a request without a priority: below every rank (ranks are >= 0).
NO_PRIORITY_RANK = -1


# "Mine" lists what waits for the agent's action first: its order, and its index's.
WAITING_FOR_SUPPORT_FIRST = Case(
    When(status=Status.WAITING_FOR_SUPPORT, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def priority_rank_of(priority: object) -> int:
    """What ``Ticket.priority_rank`` holds for this priority (or None)."""
    rank = getattr(priority, "rank", None)
    return NO_PRIORITY_RANK if rank is None else int(rank)


class SubmissionMethod(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class Ticket(models.Model):
    desk = models.ForeignKey("desks.Desk", on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("number"))
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    summary = models.CharField(_("summary"), max_length=255)
    details = models.TextField(
        _("details"), blank=True, validators=[MaxLengthValidator(DETAILS_MAX_LENGTH)]
    )
    product = models.ForeignKey(
        "desks.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    request_type = models.ForeignKey(
        "desks.RequestType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("request type"),
    )
    priority = models.ForeignKey(
        "desks.Priority", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    # The priority's rank copied onto the request (NO_PRIORITY_RANK without one), written by
    # the services with the priority and again when an administrator changes a rank
    # (tickets/apps.py): the queue's priority sort is then an index walk over never-null
    # columns, paged by keyset (docs/performance.md).
    priority_rank = models.SmallIntegerField(
        _("priority rank"), default=NO_PRIORITY_RANK, editable=False
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    # The requester's company when the ticket was created: "all requests of my company" and
    # per-company privacy rules query this column, not the requester's current company.
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("company"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.WAITING_FOR_SUPPORT
    )
    waiting_reason = models.CharField(
        _("waiting reason"), max_length=30, choices=WaitingReason.choices, blank=True
    )
    waiting_on = models.CharField(_("third party"), max_length=200, blank=True)
    submission_method = models.CharField(
        _("submission method"),
        max_length=10,
        choices=SubmissionMethod.choices,
        default=SubmissionMethod.PORTAL,
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(
        _("contact e-mail"), blank=True, help_text=_("Receives this request's e-mail.")
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    auto_close_at = models.DateTimeField(_("closes automatically at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "number"], name="tickets_ticket_desk_number"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]),
                name="tickets_ticket_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["desk", "status", "-updated_at"], name="ticket_desk_status"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester"),
            models.Index(fields=["organization", "-updated_at"], name="ticket_organization"),
            # "Mine"'s count and the queues' assignee filter: an agent's requests in a status,
            # in the desks they work, read from the index alone (docs/performance.md,
            # "Seventeenth round: the queue counts").
            models.Index(fields=["assignee", "status", "desk"], name="ticket_assignee_status_desk"),
            # "Mine" in its order (what waits for support first, then the last updated): its
            # first page reads 50 index entries, not every open request of the agent sorted
            # (docs/performance.md, "Seventeenth round: the queue counts").
            models.Index(
                F("assignee"),
                WAITING_FOR_SUPPORT_FIRST,
                F("updated_at").desc(),
                F("id").desc(),
                name="ticket_open_mine",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The queues' default order over open tickets: a partial index holds only those, so
            # the first page and the capped counts read what they show (docs/performance.md).
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_open_updated",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The "Unassigned" queue, newest first, and its capped count: only the open
            # requests no one has taken (docs/performance.md, "Queue counts at a million").
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_open_unassigned",
                condition=Q(status__in=sorted(OPEN_STATUSES), assignee__isnull=True),
            ),
            # A company's open requests, newest first: the company list ("Anyone in my
            # company") and its capped count read that company's rows only (docs/performance.md).
            models.Index(
                fields=["organization", "-updated_at", "-id"],
                name="ticket_org_open_updated",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The queues' priority sort over open tickets: most urgent first, then oldest.
            models.Index(
                fields=["-priority_rank", "created_at", "-id"],
                name="ticket_open_priority",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["resolved_at"],
                name="ticket_resolved_at",
                condition=Q(resolved_at__isnull=False),
            ),
            # The auto-close sweep reads only what is due: a partial index over resolved rows.
            models.Index(
                fields=["auto_close_at"],
                name="ticket_auto_close_due",
                condition=Q(status=Status.RESOLVED, auto_close_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def notification_email(self) -> str:
        return self.contact_email or self.requester.email


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
    )
    body = models.TextField(_("text"))
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Internal notes are seen by agents only.")
    )
    via = models.CharField(
        _("received via"),
        max_length=10,
        choices=SubmissionMethod.choices,
        default=SubmissionMethod.PORTAL,
    )
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        kind = _("comment") if self.is_public else _("internal note")
        return f"{self.ticket_id}: {kind}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random folder per file: names never collide and are not guessable from the ticket.
    import uuid

    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    file_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=150, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Attached to an internal note: agents only.")
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file_name


class Participant(models.Model):
    """Someone the request is shared with (docs/requirements.md#request-fields, F4)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="tickets_participant_unique")
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="participant_user")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.user_id}"


class NotificationMute(models.Model):
    """ "Don't notify me" on one request, for one person (docs/requirements.md#notifications)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_mutes"
    )
    created_at = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("muted request")
        verbose_name_plural = _("muted requests")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="tickets_mute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.user_id}"


class QuoteState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Quote(models.Model):
    """A price and a deadline an agent proposes and the customer accepts or declines
    (docs/requirements.md#request-life, R10)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="quotes")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RON")
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=QuoteState.choices, default=QuoteState.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("proposed"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at"]
        constraints = [
            # At most one quote awaits an answer on a ticket at a time.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state="proposed"),
                name="tickets_quote_one_proposed",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="tickets_quote_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.price} {self.currency}"


class Feedback(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    message = models.TextField(_("message"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("given"))

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="tickets_feedback_rating_1_5"
            )
        ]

    # A rating at or below this is flagged to the agent and the team lead (docs/workspace.md).
    LOW_RATING = 2

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating}/5"

    @property
    def is_low(self) -> bool:
        return self.rating <= self.LOW_RATING


class Event(models.Model):
    """One thing that happened to a ticket. Append-only: rows are written, never changed.

    The activity timeline, the notifications and the SLA clocks are derived from these rows.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the system acted."),
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    is_public = models.BooleanField(_("shown to customers"), default=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"))
    # The one act several events came from ("mail:<id>": one inbound e-mail), so the timeline
    # shows them as one entry (tickets.services.events_origin; docs/email.md, "One entry").
    origin = models.CharField(_("origin"), max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.kind}"

    @cached_property
    def payload(self) -> Payload:
        """The typed data of this event (see ``tickets/events.py``)."""
        return payload_from(self.kind, self.data)

    @property
    def to_status_label(self) -> str:
        status = getattr(self.payload, "to_status", None)
        return str(Status(status).label) if status in Status.values else ""
