"""Desks and what a request is filed under: products, request types, priorities, custom fields."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from supportal.core.models import TimeStampedModel

desk_key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}\Z",
    _("A key is 2 to 10 capital letters or digits, starting with a letter (e.g. HELP)."),
)


def time_zone_valid(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


class CustomerReplyStatus(models.TextChoices):
    """Where a customer's answer sends a ticket that waited for them (docs/requirements.md#moves,
    R6)."""

    WAITING_FOR_SUPPORT = "waiting_for_support", _("Waiting for support")
    IN_PROGRESS_IF_ASSIGNED = "in_progress", _("In progress, when the ticket has an assignee")


class UnverifiedSenderMail(models.TextChoices):
    """What becomes of a customer's mail whose sender could not be verified (docs/security.md)."""

    ACCEPT = "accept", _("Accept it")
    MARK = "mark", _("Accept it, marked “sender not verified” for agents")
    QUARANTINE = "quarantine", _("Quarantine it for an agent to decide")


class Desk(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(
        _("key"),
        max_length=10,
        unique=True,
        validators=[desk_key_validator],
        help_text=_(
            "Prefix of request references (HELP-161). Cannot change once a request exists."
        ),
    )
    email_address = models.EmailField(
        _("mailbox address"), blank=True, help_text=_("Mail to this address becomes requests.")
    )
    summary_max_length = models.PositiveSmallIntegerField(
        _("summary length limit"),
        default=120,
        validators=[MinValueValidator(10), MaxValueValidator(255)],
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved requests after (days)"),
        default=7,
        help_text=_("0 closes a request as soon as it is resolved."),
    )
    customer_reply_status = models.CharField(
        _("status after a customer's answer"),
        max_length=30,
        choices=CustomerReplyStatus.choices,
        default=CustomerReplyStatus.WAITING_FOR_SUPPORT,
    )
    notify_agents_of_new_tickets = models.BooleanField(
        _("tell the desk's agents of new requests"), default=True
    )
    invite_all_senders = models.BooleanField(
        _("invite every new sender"),
        # The reference story: the first request registers the customer and invites them
        # (docs/requirements.md#inbound-mail, M5); a desk that gets much spam turns it off.
        default=True,
        help_text=_(
            "Unknown senders of mail to this desk receive the portal invitation even when their "
            "domain belongs to no company. Off: only senders of mapped domains are invited."
        ),
    )
    shares_with_copied_outsiders = models.BooleanField(
        _("share with people the requester copies from outside their company"),
        # Off by default: sharing is the requester's company's business (docs/requirements.md
        # F4); agents add such people with one click (docs/languages.md).
        default=False,
        help_text=_(
            "A requester's verified mail that copies (To/Cc) people from outside their company "
            "shares the request with them: they receive the public updates by mail. Never "
            "customers of another company, agents or unverified mail; at most ten per mail. "
            "Off: agents add them with one click."
        ),
    )
    unverified_sender_mail = models.CharField(
        _("customer mail from an unverified sender"),
        max_length=12,
        choices=UnverifiedSenderMail.choices,
        default=UnverifiedSenderMail.MARK,
        help_text=_(
            "A sender is verified when the mail's DKIM signature or SPF matches the domain of "
            "its From address, or when it answers a personal reply address."
        ),
    )
    agent_mail_replies_public = models.BooleanField(
        _("agents' replies by mail are public"),
        default=False,
        help_text=_(
            "Off: an agent answering a notification by mail adds an internal note, unless the "
            "reply starts with the line #public. On: the reply is mailed to the customer."
        ),
    )
    # docs/requirements.md#request-fields (F3): attachments should be small and briefly named; large
    # files go elsewhere.
    attachment_max_bytes = models.PositiveBigIntegerField(
        _("largest attachment (bytes)"), default=20 * 1024 * 1024
    )
    attachment_name_max_length = models.PositiveSmallIntegerField(
        _("longest attachment file name (characters)"),
        default=100,
        validators=[MinValueValidator(10), MaxValueValidator(255)],
    )
    large_files_hint = models.CharField(
        _("where large files go"),
        max_length=300,
        blank=True,
        help_text=_(
            'Shown when a file is refused, e.g. "For large files, please use ftp.example.com."'
        ),
    )
    products = models.ManyToManyField(
        "desks.Product", blank=True, related_name="desks", verbose_name=_("products")
    )
    last_ticket_number = models.PositiveIntegerField(
        _("last request number"), default=0, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("", _("The site's")), *settings.LANGUAGES],
        blank=True,
        default="",
        help_text=_("For customers of this desk whose language is not known otherwise."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        validators=[time_zone_valid],
        help_text=_(
            "For customers of this desk whose time zone is not known otherwise (their own, "
            "their company's): the dates and deadlines in their mail. Empty: the site's."
        ),
    )

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def clean(self) -> None:
        super().clean()
        if self.pk is None:
            return
        stored_key = Desk.objects.filter(pk=self.pk).values_list("key", flat=True).first()
        if stored_key and stored_key != self.key and self.tickets.exists():
            raise ValidationError(
                {"key": _("The key cannot change: requests already carry references with it.")}
            )


class DeskRole(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")


class DeskMembership(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_memberships"
    )
    role = models.CharField(
        _("role"), max_length=20, choices=DeskRole.choices, default=DeskRole.AGENT
    )

    class Meta:
        verbose_name = _("desk member")
        verbose_name_plural = _("desk members")
        constraints = [
            models.UniqueConstraint(fields=["desk", "user"], name="desks_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.desk.key} ({self.get_role_display()})"


class Product(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RequestType(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="request_types")
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["desk", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "name"], name="desks_requesttype_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Priority(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=0, help_text=_("Higher is more urgent.")
    )
    is_default = models.BooleanField(_("default"), default=False)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        ordering = ["-rank"]

    def __str__(self) -> str:
        return self.name


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    CHOICE = "choice", _("Choice")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")


class CustomField(models.Model):
    """A desk's own question on its requests, e.g. the reference story's "Retailer"
    (docs/requirements.md#story)."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="custom_fields")
    request_type = models.ForeignKey(
        RequestType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="custom_fields",
        help_text=_("Empty: asked on every request of the desk."),
    )
    name = models.SlugField(_("name"), max_length=60, help_text=_("Stored key, e.g. retailer."))
    label = models.CharField(_("label"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=10, choices=CustomFieldKind.choices, default=CustomFieldKind.TEXT
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    choice_labels = models.TextField(
        _("choice names"),
        blank=True,
        help_text=_(
            "How each language shows the choices: one per line, in the order of the choices. "
            "An empty line, or none: the choice as stored."
        ),
    )
    is_required = models.BooleanField(_("required"), default=False)
    is_visible_to_customer = models.BooleanField(_("shown to customers"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["desk", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "name"], name="desks_customfield_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def choice_pairs(self) -> list[tuple[str, str]]:
        """Each choice as (stored value, name in the reader's language): the line of
        ``choice_labels`` in the reader's language (else the site's; core/names.py), else the
        value itself (docs/languages.md#names)."""
        names = [line.strip() for line in (self.choice_labels or "").splitlines()]
        pairs = []
        for number, choice in enumerate(self.choices or []):
            value = str(choice)
            name = names[number] if number < len(names) else ""
            pairs.append((value, name or value))
        return pairs

    def choice_label(self, value: object) -> str:
        """The name of a stored choice in the reader's language (the value when unknown)."""
        text = "" if value is None else str(value)
        return dict(self.choice_pairs()).get(text, text)
