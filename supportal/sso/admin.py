"""Identity providers in the administration (docs/sso.md): audited like every setting; the
redirect URI to register with the provider is shown on the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from supportal.audit.admin import AuditedAdmin
from supportal.sso.models import IdentityProvider, SsoIdentity


@admin.register(IdentityProvider)
class IdentityProviderAdmin(AuditedAdmin):
    list_display = ("name", "slug", "issuer", "is_active", "is_sso_only", "creates_agents")
    list_filter = ("is_active", "is_sso_only", "creates_agents")
    search_fields = ("name", "slug", "issuer", "client_id")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("redirect_uri",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "redirect_uri")}),
        (
            _("Provider"),
            {
                "fields": (
                    "issuer",
                    "client_id",
                    "client_secret_env",
                    "client_secret_file",
                    "scopes",
                    "mfa_acr_values",
                )
            },
        ),
        (
            _("Who may sign in"),
            {
                "fields": (
                    "allowed_domains",
                    "requires_email_verified",
                    "creates_agents",
                    "desk",
                    "desk_role",
                    "is_sso_only",
                )
            },
        ),
    )

    @admin.display(description=_("redirect URI"))
    def redirect_uri(self, obj: IdentityProvider | None) -> str:
        slug = obj.slug if obj is not None and obj.slug else "<short-name>"
        return settings.SUPPORTAL_BASE_URL + reverse("sso:callback", args=["x"]).replace(
            "/x/", f"/{slug}/"
        )


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin):
    """Links are made by signing in; an administrator may only remove one (the next sign-in then
    matches by verified address again)."""

    list_display = ("user", "provider", "subject", "email", "last_login_at")
    list_filter = ("provider",)
    search_fields = ("user__email", "subject", "email")
    list_select_related = ("user", "provider")
    readonly_fields = ("provider", "subject", "user", "email", "created_at", "last_login_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
