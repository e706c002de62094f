"""SLA: calendars, policies and their goals, and the clocks each request runs against them.

A request has one clock per goal (time to first response, time to resolution), and one per
period it waits for the customer's answer. Every start, pause, resume and stop of a clock is a
``ClockEntry`` with its cause, so a deadline can always be explained and recomputed. Warnings and
breaches found by the sweeper are ``SlaEvent`` rows; notifications read them.
"""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from supportal.core.models import TimeStampedModel

MINUTE = timedelta(minutes=1)


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a time zone; use a name such as Europe/Bucharest."),
            params={"value": value},
        ) from None


class Calendar(TimeStampedModel):
    """When SLA time counts: weekly working periods in a time zone, minus holidays, or 24/7."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Bucharest", validators=[validate_time_zone]
    )
    is_always_open = models.BooleanField(
        _("24/7"), default=False, help_text=_("Every hour of every day counts; no holidays.")
    )
    country_code = models.CharField(
        _("public holidays of"),
        max_length=2,
        blank=True,
        help_text=_("Country code (RO, CZ, ...) whose public holidays are days off. Empty: none."),
    )
    subdivision = models.CharField(
        _("region"), max_length=10, blank=True, help_text=_("Region code, where holidays differ.")
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used where nothing else names a calendar.")
    )

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.country_code = self.country_code.strip().upper()
        if self.country_code:
            from supportal.sla.clock import public_holidays

            try:
                public_holidays(self.country_code, [2025], self.subdivision or None)
            except ValueError:
                raise ValidationError(
                    {"country_code": _("No public holidays are known for this country or region.")}
                ) from None


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingPeriod(models.Model):
    """Working hours within one weekday, as wall-clock times; several per day are allowed."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(
        _("until"), help_text=_("00:00 means midnight, the end of the day.")
    )

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["calendar", "weekday", "start_time"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if (
            self.start_time is not None
            and self.end_time is not None
            and self.end_time != time(0)
            and self.end_time <= self.start_time
        ):
            raise ValidationError({"end_time": _("A period ends after it starts.")})


class DateKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off (added holiday)")
    WORKING_DAY = "working_day", _("Working day (public holiday worked)")


class CalendarDate(models.Model):
    """A date an administrator adds as a holiday, or takes off the country's public holidays."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="dates")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DateKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday or working day")
        verbose_name_plural = _("holidays and working days")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_date_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class Goal(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("Time to first response")
    RESOLUTION = "resolution", _("Time to resolution")
    CUSTOMER_REPLY = "customer_reply", _("Customer's answer")


# The goals a policy sets; the customer's reply time is a desk setting instead.
POLICY_GOALS = (Goal.FIRST_RESPONSE, Goal.RESOLUTION)


class Policy(TimeStampedModel):
    """The goals that apply to the requests it matches; the most specific match wins."""

    name = models.CharField(_("name"), max_length=120)
    desk = models.ForeignKey(
        "desks.Desk",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("desk"),
        help_text=_("Empty: any desk."),
    )
    priority = models.ForeignKey(
        "desks.Priority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("priority"),
        help_text=_("Empty: any priority."),
    )
    request_type = models.ForeignKey(
        "desks.RequestType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("request type"),
        help_text=_("Empty: any request type."),
    )
    contract = models.ForeignKey(
        "accounts.Contract",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("contract"),
        help_text=_("Empty: any company, with or without a contract."),
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    first_response_duration = models.DurationField(
        _("time to first response"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MINUTE)],
        help_text=_("Working time until an agent takes the request (e.g. 00:30:00). Empty: none."),
    )
    resolution_duration = models.DurationField(
        _("time to resolution"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MINUTE)],
        help_text=_("Working time until the request is resolved (e.g. 02:00:00). Empty: none."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.desk_id is not None
            and self.request_type is not None
            and self.request_type.desk_id != self.desk_id
        ):
            raise ValidationError({"request_type": _("This request type belongs to another desk.")})
        if not self.is_active:
            return
        # By the relations' names: an empty scope field matches an empty one (IS NULL).
        clash = (
            Policy.objects.filter(
                desk=self.desk_id,
                priority=self.priority_id,
                request_type=self.request_type_id,
                contract=self.contract_id,
                is_active=True,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                _("An active policy already applies to exactly these requests: %(name)s.")
                % {"name": clash.name}
            )

    def target_for(self, goal: str) -> timedelta | None:
        if goal == Goal.FIRST_RESPONSE:
            return self.first_response_duration
        if goal == Goal.RESOLUTION:
            return self.resolution_duration
        return None


class ReplyOverdueAction(models.TextChoices):
    NOTHING = "nothing", _("Nothing: the request keeps waiting")
    RESOLVE = "resolve", _("Resolve the request with a note")


DEFAULT_WARNING_LEAD_DURATION = timedelta(minutes=10)


class DeskSlaSettings(TimeStampedModel):
    """A desk's SLA settings: the warning lead time and the customer's reply time."""

    desk = models.OneToOneField(
        "desks.Desk", on_delete=models.CASCADE, related_name="sla_settings", verbose_name=_("desk")
    )
    warning_lead_duration = models.DurationField(
        _("warn before a deadline"),
        default=DEFAULT_WARNING_LEAD_DURATION,
        validators=[MinValueValidator(timedelta(0))],
        help_text=_("Working time before a goal's deadline at which agents are warned."),
    )
    customer_reply_duration = models.DurationField(
        _("customer's reply time"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MINUTE)],
        help_text=_(
            "Working time within which an answer is expected from a customer asked for "
            "information. Empty: no expectation is shown."
        ),
    )
    customer_reply_calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar of the reply time"),
        help_text=_("Empty: the default calendar."),
    )
    reply_reminder_lead_duration = models.DurationField(
        _("remind the customer before"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MINUTE)],
        help_text=_("Working time before the expected answer at which a reminder is due."),
    )
    reply_overdue_action = models.CharField(
        _("when no answer arrives in time"),
        max_length=10,
        choices=ReplyOverdueAction.choices,
        default=ReplyOverdueAction.NOTHING,
    )
    resolve_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolve as"),
        help_text=_("The agent account (e.g. an automation account) that resolves the request."),
    )
    reply_overdue_note = models.TextField(
        _("resolution note"),
        blank=True,
        help_text=_("Written as the resolution when the request is resolved for lack of answer."),
    )

    class Meta:
        verbose_name = _("desk SLA settings")
        verbose_name_plural = _("desk SLA settings")
        ordering = ["desk__name"]

    def __str__(self) -> str:
        return str(self.desk)

    def clean(self) -> None:
        super().clean()
        if self.reply_overdue_action != ReplyOverdueAction.RESOLVE:
            return
        errors = {}
        if self.customer_reply_duration is None:
            errors["customer_reply_duration"] = _("Resolving needs a reply time.")
        if self.resolve_as_id is None:
            errors["resolve_as"] = _("Choose the agent account that resolves the request.")
        elif (
            self.desk_id is not None
            and self.resolve_as is not None
            and not self.resolve_as.is_superuser
            and not self.desk.memberships.filter(user=self.resolve_as).exists()
        ):
            errors["resolve_as"] = _("This account is not an agent of the desk.")
        if not self.reply_overdue_note.strip():
            errors["reply_overdue_note"] = _("Write the note the customer reads.")
        if errors:
            raise ValidationError(errors)


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    STOPPED = "stopped", _("Stopped")  # the request ended without the goal being met


class Clock(models.Model):
    """One goal's clock on one request, and its stored deadline.

    The fields are a snapshot derived from the clock's entries (``services`` rebuilds them on
    every change): working time used before ``running_since``, the deadline, the warning time,
    and ``next_due_at``, the next instant the sweeper has something to record.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    goal = models.CharField(_("goal"), max_length=20, choices=Goal.choices)
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks"
    )
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, null=True, blank=True, related_name="clocks"
    )
    target_duration = models.DurationField(_("target"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    pause_reason = models.CharField(_("paused because"), max_length=30, blank=True)
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    used_duration = models.DurationField(
        _("working time used"),
        default=timedelta(0),
        help_text=_("Before “running since”; all of it when paused or stopped."),
    )
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    is_breached = models.BooleanField(_("breached"), default=False)
    is_warning_recorded = models.BooleanField(_("warning recorded"), default=False)
    is_breach_recorded = models.BooleanField(_("breach recorded"), default=False)
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["ticket", "started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "goal"],
                condition=Q(goal__in=[g.value for g in POLICY_GOALS]),
                name="sla_clock_one_per_goal",
            ),
            models.CheckConstraint(
                condition=Q(goal__in=[g.value for g in Goal]), name="sla_clock_goal_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in ClockState]), name="sla_clock_state_valid"
            ),
        ]
        indexes = [
            # The sweep reads only what is due: a partial index over rows with something to do.
            models.Index(
                fields=["next_due_at"],
                name="sla_clock_next_due",
                condition=Q(next_due_at__isnull=False),
            ),
            models.Index(fields=["ticket", "state"], name="sla_clock_ticket_state"),
            # "SLA at risk": running goals in deadline order (docs/performance.md).
            models.Index(
                fields=["deadline_at", "ticket"],
                name="sla_clock_running_deadline",
                condition=Q(
                    state="running",
                    goal__in=["first_response", "resolution"],
                    deadline_at__isnull=False,
                ),
            ),
            models.Index(fields=["goal", "stopped_at"], name="sla_clock_goal_stopped"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_goal_display()}"

    @property
    def is_stopped(self) -> bool:
        return self.state in (ClockState.MET, ClockState.STOPPED)


class EntryKind(models.TextChoices):
    START = "start", _("Started")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    STOP = "stop", _("Stopped")
    RETARGET = "retarget", _("Target changed")
    RECOMPUTE = "recompute", _("Deadline recomputed")


class ClockEntry(models.Model):
    """One start, pause, resume or stop of a clock, with its time and its cause.

    Append-only. ``reason`` is a short code (a status, "assigned", "reopened", ...); ``event`` is
    the request event that caused it, empty when an administrator's change did.
    """

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    event = models.ForeignKey(
        "tickets.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("clock entry")
        verbose_name_plural = _("clock entries")
        ordering = ["clock", "at", "pk"]
        indexes = [models.Index(fields=["clock", "at"], name="sla_entry_clock_at")]

    def __str__(self) -> str:
        return f"{self.clock_id}: {self.get_kind_display()} {self.reason}"


class SlaEventKind(models.TextChoices):
    WARNING = "warning", _("Deadline near")
    BREACH = "breach", _("Deadline missed")
    REPLY_REMINDER = "reply_reminder", _("Customer's answer due soon")
    REPLY_OVERDUE = "reply_overdue", _("Customer's answer overdue")


class SlaEvent(models.Model):
    """A warning or a breach the sweeper found, recorded once. Notifications read these rows.

    ``recipient_ids`` in ``data`` says who is to be told: for a warning the assignee, or the
    desk's team leads when nobody is assigned; for a breach both.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events"
    )
    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=SlaEventKind.choices)
    goal = models.CharField(_("goal"), max_length=20, choices=Goal.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Assigned when it was recorded."),
    )
    due_at = models.DateTimeField(_("due"))
    recorded_at = models.DateTimeField(_("recorded"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-due_at", "-pk"]
        constraints = [
            # Each warning and breach exists once, whatever the sweepers do.
            models.UniqueConstraint(fields=["clock", "kind"], name="sla_event_once_per_clock")
        ]
        indexes = [
            models.Index(fields=["ticket", "-due_at"], name="sla_event_ticket"),
            models.Index(fields=["kind", "due_at"], name="sla_event_kind_due"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"
