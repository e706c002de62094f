"""Two-factor sign-in (docs/security.md#two-factor-sign-in): the policy of who must use it, each
person's authenticator app (TOTP), passkeys (WebAuthn), single-use recovery codes (hashed) and
the devices they chose to trust for 30 days."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.models import SingletonModel


class TwoFactorPolicy(SingletonModel):
    """Which roles must use a second step; customers may always choose to (one row, pk 1)."""

    is_required_for_agents = models.BooleanField(_("required for agents"), default=False)
    is_required_for_team_leads = models.BooleanField(_("required for team leads"), default=False)
    is_required_for_administrators = models.BooleanField(
        _("required for administrators"), default=False
    )

    class Meta:
        verbose_name = _("two-factor sign-in policy")
        verbose_name_plural = _("two-factor sign-in policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="accounts_twofactorpolicy_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Two-factor sign-in policy"))


class TotpDevice(models.Model):
    """A person's authenticator app: the shared secret (base32), confirmed once a first code
    was right; ``last_step`` is the last time step accepted, so a code works only once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(_("secret"), max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last time step used"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"{self.user} — TOTP"


class RecoveryCode(models.Model):
    """One single-use recovery code, kept as a keyed hash (HMAC-SHA-256 with the site's key):
    the codes are random, so a slow password hash would add nothing but time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="accounts_recovery_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.pk}"


class Passkey(models.Model):
    """A WebAuthn credential (a passkey or a security key)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("name"), max_length=100)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self) -> str:
        return f"{self.user} — {self.name}"


class TrustedDevice(models.Model):
    """A browser whose owner asked not to be asked for the second step again for 30 days. The
    browser keeps a random token in a cookie; only its keyed hash is stored. "Log out
    everywhere" forgets them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_devices"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("trusted since"), default=timezone.now)
    expires_at = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("trusted device")
        verbose_name_plural = _("trusted devices")

    def __str__(self) -> str:
        return f"{self.user} — {self.created_at:%Y-%m-%d}"
