"""What agents keep for their daily work: canned replies, saved queue views, and the tokens that
make a submitted form post once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.manager import MultilingualManager

from supportal.core.models import TimeStampedModel


class CannedReply(TimeStampedModel):
    """A desk's prepared answer. Placeholders: {requester_name}, {reference}, {agent_name}."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Placeholders: {requester_name}, {reference}, {agent_name} are filled in when the "
            "reply is inserted."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Its names in every language (supportal/core/names.py, docs/languages.md#names).
    objects = MultilingualManager()

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["desk", "title"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "title"], name="replies_canned_desk_title")
        ]

    def __str__(self) -> str:
        return self.title


class SavedView(TimeStampedModel):
    """A queue filter saved by an agent: personal (no desk) or shared with a desk's agents."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    desk = models.ForeignKey(
        "desks.Desk",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        help_text=_("Empty: a personal view. Set: every agent of the desk sees it."),
    )
    name = models.CharField(_("name"), max_length=80)
    # The queue's query parameters (view, filters, sort) as a JSON object of lists of strings;
    # the queue re-validates them on every use, so a stale value is ignored, never trusted.
    params = models.JSONField(_("filters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["owner"], name="savedview_owner"),
            models.Index(fields=["desk"], name="savedview_desk", condition=Q(desk__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name


class SubmissionToken(models.Model):
    """A form's one-time token: the first submission records what it did, a repeat (double
    click, browser resubmission, retry after a timeout) finds it and does nothing again."""

    token = models.CharField(_("token"), max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="submission_tokens"
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("submission token")
        verbose_name_plural = _("submission tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="replies_token_user_token")
        ]

    def __str__(self) -> str:
        return self.token
