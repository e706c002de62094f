"""Identity providers administrators configure, and the link from a provider's subject to an
agent (docs/sso.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportal.core.models import TimeStampedModel
from supportal.desks.models import Desk, DeskRole

# Only variables meant for this: a client secret must not be able to name SECRET_KEY or a
# database password, which would then be sent to whatever token endpoint the issuer names.
_ENV_NAME = re.compile(r"^SUPPORTAL_SSO_[A-Z0-9_]+$")


class SecretMissing(Exception):
    """The client secret's environment variable or file is not there."""


class IdentityProvider(TimeStampedModel):
    """An OpenID Connect provider agents sign in with (Microsoft Entra ID, Google, Keycloak …).

    The client secret is never stored here: the row names the environment variable or the file
    (inside ``SUPPORTAL_SSO_SECRET_DIR``) that holds it."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown on the log-in page as “Sign in with …”.")
    )
    slug = models.SlugField(
        _("short name"),
        max_length=50,
        unique=True,
        help_text=_(
            "Part of the redirect URI registered with the provider: /sso/<short name>/callback/"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    issuer = models.URLField(
        _("issuer"),
        max_length=500,
        help_text=_(
            "The provider's issuer URL, exactly as its discovery document states it "
            "(<issuer>/.well-known/openid-configuration is read)."
        ),
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret_env = models.CharField(
        _("client secret: environment variable"),
        max_length=100,
        blank=True,
        help_text=_(
            "Name of the environment variable holding the secret; it starts with SUPPORTAL_SSO_."
        ),
    )
    client_secret_file = models.CharField(
        _("client secret: file"),
        max_length=200,
        blank=True,
        help_text=_("Name of a file in the directory SUPPORTAL_SSO_SECRET_DIR holding the secret."),
    )
    scopes = models.CharField(_("scopes"), max_length=200, default="openid email profile")
    allowed_domains = models.TextField(
        _("allowed e-mail domains"),
        blank=True,
        help_text=_("One per line. Empty: any domain."),
    )
    requires_email_verified = models.BooleanField(
        _("require email_verified"),
        default=True,
        help_text=_(
            "Match and create agents only by addresses the provider says are verified. Microsoft "
            "Entra ID sends no email_verified: turn this off for it and list your domains."
        ),
    )
    mfa_acr_values = models.CharField(
        _("acr values that mean two factors"),
        max_length=200,
        blank=True,
        help_text=_(
            "Separated by spaces (for example Keycloak's level of authentication). An amr "
            "claim with “mfa”, or a password together with a second factor, counts too."
        ),
    )
    creates_agents = models.BooleanField(
        _("create agents on first sign-in"),
        default=False,
        help_text=_(
            "A verified address of an allowed domain without an account becomes an agent of "
            "the desk below."
        ),
    )
    desk = models.ForeignKey(
        Desk,
        verbose_name=_("desk of created agents"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desk_role = models.CharField(
        _("role of created agents"), max_length=20, choices=DeskRole.choices, default=DeskRole.AGENT
    )
    is_sso_only = models.BooleanField(
        _("single sign-on only"),
        default=False,
        help_text=_(
            "Agents of the allowed domains, and agents linked to this provider, may not log in "
            "with a password nor reset one. Administrators keep their password."
        ),
    )

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domains(self) -> list[str]:
        return [
            line.strip().lstrip("@").lower()
            for line in self.allowed_domains.splitlines()
            if line.strip()
        ]

    def is_domain_allowed(self, email: str) -> bool:
        domains = self.domains
        return not domains or email.rpartition("@")[2].lower() in domains

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.client_secret_env) == bool(self.client_secret_file):
            errors["client_secret_env"] = str(
                _("Name either an environment variable or a file for the client secret.")
            )
        if self.client_secret_env and not _ENV_NAME.match(self.client_secret_env):
            errors["client_secret_env"] = str(
                _("The variable's name starts with SUPPORTAL_SSO_ (capitals, digits, _).")
            )
        if self.client_secret_file and (
            "/" in self.client_secret_file or self.client_secret_file.startswith(".")
        ):
            errors["client_secret_file"] = str(
                _("Only a file name, inside the directory SUPPORTAL_SSO_SECRET_DIR.")
            )
        if self.creates_agents and self.desk_id is None:
            errors["desk"] = str(_("Choose the desk the created agents join."))
        if (self.creates_agents or not self.requires_email_verified) and not self.domains:
            errors["allowed_domains"] = str(
                _(
                    "List the e-mail domains: agents are created, or addresses trusted, only "
                    "for them."
                )
            )
        if errors:
            raise ValidationError(errors)

    def client_secret(self) -> str:
        """The client secret, read now from the environment or the file."""
        if self.client_secret_env:
            value = os.environ.get(self.client_secret_env, "")
            if not value:
                raise SecretMissing(f"environment variable {self.client_secret_env} is not set")
            return value
        path = Path(settings.SUPPORTAL_SSO_SECRET_DIR) / Path(self.client_secret_file).name
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise SecretMissing(f"cannot read {path}: {exc.strerror}") from exc


class SsoIdentity(models.Model):
    """Who the provider says the person is (its ``sub``, stable), linked to the agent: a changed
    e-mail address at the provider still finds the same account."""

    provider = models.ForeignKey(
        IdentityProvider,
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="identities",
    )
    subject = models.CharField(_("subject (sub)"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sso_identities",
    )
    email = models.EmailField(_("e-mail at the provider"), blank=True)
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on link")
        verbose_name_plural = _("single sign-on links")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.subject}"
