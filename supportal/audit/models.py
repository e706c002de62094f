"""Audit entries (append-only) and the log's retention (docs/audit.md)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportal.core.models import SingletonModel


class Action(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Log-in failed")
    LOCKOUT = "lockout", _("Log-in locked")
    LOGOUT = "logout", _("Logged out")
    SESSION_REVOKED = "session_revoked", _("Sessions ended")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset requested")
    PASSWORD_SET = "password_set", _("Password set from a link")
    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    TWOFA_ENROLLED = "twofa_enrolled", _("Two-factor sign-in turned on")
    TWOFA_DISABLED = "twofa_disabled", _("Two-factor sign-in turned off")
    TWOFA_RESET = "twofa_reset", _("Two-factor sign-in reset")
    TWOFA_FAILED = "twofa_failed", _("Second step failed")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_NEW = "recovery_codes_new", _("New recovery codes")
    TRUSTED_DEVICE_ADDED = "trusted_device_added", _("Device trusted")
    SSO_LOGIN = "sso_login", _("Signed in with single sign-on")
    SSO_FAILED = "sso_failed", _("Single sign-on failed")
    SSO_USER_CREATED = "sso_user_created", _("Agent created by single sign-on")
    PASSWORD_LOGIN_REFUSED = (
        "password_login_refused",
        _("Password log-in refused (single sign-on only)"),
    )
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBERSHIP_CHANGED = "membership_changed", _("Desk membership changed")
    COMPANY_CHANGED = "company_changed", _("Company changed")
    CONTACT_CHANGED = "contact_changed", _("Contact changed")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")
    CANNED_REPLY_CHANGED = "canned_reply_changed", _("Canned reply changed")
    TEMPLATE_CHANGED = "template_changed", _("Template changed")
    WEBHOOK_CHANGED = "webhook_changed", _("Webhook endpoint changed")
    QUARANTINE_DECIDED = "quarantine_decided", _("Quarantined mail decided")
    DATA_DELETED = "data_deleted", _("Data deleted")
    EXPORTED = "exported", _("Exported")
    PERMISSIONS_CHANGED = "permissions_changed", _("Groups or permissions changed")
    ACCESS_REQUEST_DECIDED = "access_request_decided", _("Access request decided")
    NOTIFICATION_PREFERENCES_CHANGED = (
        "notification_preferences_changed",
        _("Notification preferences changed"),
    )
    NEWSLETTER_SENT = "newsletter_sent", _("Newsletter sent")
    DOWNLOAD_PUBLISHED = "download_published", _("Download published")
    AUDIT_PURGED = "audit_purged", _("Old audit entries purged")


class AppendOnly(Exception):
    """Audit entries are never changed or deleted, except by the retention purge."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnly("audit entries are append-only; the purge removes old ones")

    def purge_before(self, cutoff: Any) -> int:
        """The retention purge, the one way rows leave the log (``services.audit_purge``)."""
        old = self.filter(created_at__lt=cutoff)
        deleted, _by_model = models.QuerySet.delete(old)
        return deleted


class AuditEntry(models.Model):
    """One security or administrative action. Written by ``audit.record`` only; never updated.

    Who: ``actor`` (kept as text in ``actor_label`` too, so the entry outlives the account) and
    the API token when one was used. Where from: ``ip`` and ``user_agent``. What: ``action`` and
    the object (type, id, label). ``desk_id``: the desk the change belongs to, for team leads.
    """

    created_at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=254, blank=True)
    token_label = models.CharField(_("API token"), max_length=120, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    desk_id = models.PositiveIntegerField(_("desk"), null=True, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(
                fields=["desk_id", "-created_at"], name="audit_desk_idx", condition=Q(desk_id__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnly("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries are append-only")


class AuditSettings(SingletonModel):
    """How long the log keeps entries; the daily purge removes older ones (docs/audit.md)."""

    retention_days = models.PositiveIntegerField(
        _("keep entries for (days)"),
        default=730,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
        help_text=_("Entries older than this are deleted by the daily purge (30 to 3650 days)."),
    )

    class Meta:
        verbose_name = _("audit log settings")
        verbose_name_plural = _("audit log settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="audit_settings_single_row")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
