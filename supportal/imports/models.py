"""What an import has written: each object remembers its source and its id there."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")
    REQUEST = "request", _("Request")
    COMMENT = "comment", _("Comment")
    ATTACHMENT = "attachment", _("Attachment")
    STATUS_CHANGE = "status_change", _("Status change")
    FEEDBACK = "feedback", _("Rating")
    # The request's reference in the old system (HELP-161): its old links redirect here.
    REFERENCE = "reference", _("Old reference")


class ImportedObject(models.Model):
    """One object of another system and the Supportal object it became.

    The unique (source, kind, source id) makes an import idempotent and resumable: a record
    already here is skipped, so running the same import twice creates nothing new and an
    interrupted one continues where it stopped (docs/import.md).
    """

    source = models.CharField(
        _("source"), max_length=200, help_text=_("The system imported from, e.g. freshdesk:acme.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportedKind.choices)
    source_id = models.CharField(_("id in the source"), max_length=200)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(_("object id"))
    object = GenericForeignKey("content_type", "object_id")
    # What the source said the record looked like when it was imported: a later run compares
    # it to pick up what changed (the request's update time; empty where it never changes).
    source_version = models.CharField(_("version in the source"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("imported object")
        verbose_name_plural = _("imported objects")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="imports_object_unique"
            )
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="imports_object_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.source_id}"
