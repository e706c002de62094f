"""Company self-service: the contacts directory's change log, downloads per product and topic,
newsletter lists, subscriptions, issues and their deliveries
(docs/requirements.md#company-self-service)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from supportal.core.models import DueWork, TimeStampedModel


class ContactChangeKind(models.TextChoices):
    CREATED = "created", _("Added")
    UPDATED = "updated", _("Edited")
    INVITED = "invited", _("Invited to the portal")
    JOINED = "joined", _("Joined the company (their own confirmation)")
    DEACTIVATED = "deactivated", _("Deactivated")
    REACTIVATED = "reactivated", _("Reactivated")
    SUBSCRIBED = "subscribed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class ContactChange(models.Model):
    """One change to a contact person: who (``actor``; empty for the contact's own one-click
    unsubscribe), when, and what (``changes``: field → [old, new], or the list's name)."""

    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("change"), max_length=20, choices=ContactChangeKind.choices)
    changes = models.JSONField(_("what"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.contact} — {self.get_kind_display()}"

    @property
    def lines(self) -> list[str]:
        """The change as readable lines: "surname: Pop → Popescu"."""
        from supportal.accounts.models import Contact

        labels = {f.name: str(f.verbose_name) for f in Contact._meta.get_fields() if f.concrete}
        labels["newsletter"] = str(_("newsletter"))
        out = []
        for name, value in self.changes.items():
            if name == "by_link":
                continue
            label = labels.get(name, name)
            if isinstance(value, list) and len(value) == 2:
                old, new = ("—" if v in (None, "") else str(v) for v in value)
                out.append(f"{label}: {old} → {new}")
            else:
                out.append(f"{label}: {value}")
        return out


class Topic(models.Model):
    """What a download is about, e.g. "Actualizări legislative"."""

    name = models.CharField(_("name"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def download_upload_to(instance: Download, filename: str) -> str:
    return f"downloads/{instance.product_id}/{filename}"


class Download(TimeStampedModel):
    """A file published for the companies that have ``product``
    (docs/requirements.md#company-self-service, C3)."""

    product = models.ForeignKey(
        "desks.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="downloads"
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    released_on = models.DateField(_("date"))
    file = models.FileField(_("file"), upload_to=download_upload_to, max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        ordering = ["-released_on", "-pk"]
        indexes = [models.Index(fields=["product", "-released_on"])]

    def __str__(self) -> str:
        return f"{self.title} {self.version}".strip()


class NewsletterList(models.Model):
    """A mailing list, e.g. "NL CONTABILITATE TEHNIC - 000CT". A list with a product is offered
    only to the companies that have that product, and is told of that product's downloads."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.CharField(_("code"), max_length=20, blank=True)
    product = models.ForeignKey(
        "desks.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} - {self.code}" if self.code else self.name


class Subscription(models.Model):
    """A contact receives a list. Unsubscribing deletes the row; the change log keeps it."""

    newsletter = models.ForeignKey(
        NewsletterList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "contact"], name="company_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} — {self.newsletter}"


class NewsletterIssue(models.Model):
    """One mailing to a list's subscribers of the moment it was sent."""

    newsletter = models.ForeignKey(
        NewsletterList,
        verbose_name=_("newsletter"),
        on_delete=models.PROTECT,
        related_name="issues",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    download = models.ForeignKey(
        Download, on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


def issue_attachment_upload_to(instance: IssueAttachment, filename: str) -> str:
    return f"newsletters/{instance.issue_id}/{filename}"


class IssueAttachment(models.Model):
    """A file sent with every mail of an issue. Outbox rows reference it by storage path, so
    it is kept as long as the issue is."""

    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=issue_attachment_upload_to, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)

    class Meta:
        verbose_name = _("newsletter attachment")
        verbose_name_plural = _("newsletter attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def outbox_ref(self) -> dict[str, str]:
        """What ``mail.outbox.email_queue(attachments=...)`` takes."""
        assert self.file.name is not None, self  # a stored attachment has its file
        return {"path": self.file.name, "name": self.name, "content_type": self.content_type}


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting its turn")
    QUEUED = "queued", _("Handed to the outbox")
    SKIPPED = "skipped", _("Skipped: unsubscribed or inactive since")


class NewsletterDelivery(DueWork):
    """An issue to one contact: a worker row (core.jobs.claim_due) that becomes one outbox mail
    when its turn comes, so a large list is sent at a throttled pace."""

    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="newsletter_deliveries"
    )
    email = models.EmailField(_("e-mail"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    outbound = models.ForeignKey(
        "mail.OutboundEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("newsletter delivery")
        verbose_name_plural = _("newsletter deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "contact"], name="company_delivery_unique")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="company_delivery_due",
            ),
            models.Index(fields=["queued_at"], name="company_delivery_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.issue} → {self.email}"


class SupportLine(models.Model):
    """The emergency line (docs/requirements.md#company-self-service, C4; "site down": this number
    in working hours, the known mobiles 24/7). One row; the working hours text and the telephone are
    the notification settings', and whether support is open now is the SLA default calendar's."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    emergency_phone = models.CharField(_("emergency telephone"), max_length=60, blank=True)
    emergency_note = models.CharField(
        _("emergency note"),
        max_length=300,
        blank=True,
        help_text=_('e.g. For "site down" situations, in working hours; known mobiles 24/7.'),
    )

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("emergency line")
        verbose_name_plural = _("emergency line")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="company_supportline_one")]

    def __str__(self) -> str:
        return str(_("Emergency line"))
