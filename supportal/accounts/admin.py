"""Admin for people and companies: users (e-mail log-in), companies, contracts, contacts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    BaseUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts import selectors, services
from supportal.accounts.forms import AdminLoginForm
from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    ApiIdempotencyKey,
    ApiToken,
    ApiTokenChange,
    Contract,
    Organization,
    OrganizationDomain,
    OrganizationProduct,
    Passkey,
    PortalSettings,
    RecoveryCode,
    TotpDevice,
    TrustedDevice,
    TwoFactorPolicy,
    User,
    UserSession,
)
from supportal.accounts.services import twofactor
from supportal.audit.admin import AuditedAdmin
from supportal.audit.models import Action
from supportal.core.admin import ReadOnlyAdmin
from supportal.core.errors import DomainError
from supportal.core.names import name_columns


class _EmailFormMixin:
    cleaned_data: dict

    def clean_email(self) -> str:
        # Stored in lower case, so the unique constraint is case-insensitive (models.User).
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class UserCreationForm(_EmailFormMixin, SetUnusablePasswordMixin, BaseUserCreationForm):
    """Django's admin creation form, for a user whose user name is the e-mail address.

    A password may be left unusable: such a user logs in after an invitation or a reset.
    """

    usable_password = SetUnusablePasswordMixin.create_usable_password_field()

    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": forms.EmailField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False


class UserEditForm(_EmailFormMixin, UserChangeForm):
    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": forms.EmailField}


# Groups grant permissions in the administration: their changes are in the audit log
# (docs/audit.md) like a user's own groups and permissions.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, DjangoGroupAdmin):
    audit_action = Action.PERMISSIONS_CHANGED


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    audit_action = Action.ROLE_CHANGED
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "phone",
                    "language",
                    "time_zone",
                    "detected_language",
                    "browser_language",
                )
            },
        ),
        (
            _("Roles"),
            {
                "fields": (
                    "organization",
                    "is_customer_admin",
                    "is_agent",
                    "is_company_account",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Notifications"), {"fields": ("has_email_notifications",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined", "invited_at", "invited_by")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("Profile"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "organization",
                    "is_customer_admin",
                    "is_agent",
                )
            },
        ),
    )
    readonly_fields = (
        "last_login",
        "date_joined",
        "invited_at",
        "invited_by",
        "is_company_account",
    )
    autocomplete_fields = ("organization",)
    actions = ("send_invitation", "twofactor_reset")
    list_display = (
        "email",
        "first_name",
        "last_name",
        "organization",
        "is_agent",
        "is_customer_admin",
        "is_staff",
        "is_superuser",
        "is_active",
    )
    list_filter = (
        "is_agent",
        "is_customer_admin",
        "is_staff",
        "is_superuser",
        "is_active",
        "has_email_notifications",
        "language",
        "groups",
    )
    list_select_related = ("organization",)
    search_fields = ("email", "first_name", "last_name", "phone", "organization__name")
    ordering = ("email",)

    @admin.action(description=_("Send the invitation e-mail (to people without a password)"))
    def send_invitation(self, request, queryset) -> None:
        invited = 0
        for user in queryset:
            if user.has_usable_password() or user.is_company_account:
                continue
            try:
                services.customer_invite(email=user.email, invited_by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{user.email}: {exc.message}", messages.ERROR)
            else:
                invited += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d person without a password was invited (or had a valid invitation).",
                "%(count)d people without a password were invited (or had a valid invitation).",
                invited,
            )
            % {"count": invited},
        )

    @admin.action(description=_("Reset two-factor sign-in (a lost phone); the person is told"))
    def twofactor_reset(self, request, queryset) -> None:
        for user in queryset:
            twofactor.twofactor_reset(actor=request.user, user=user)
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in of %(count)d person reset; they were logged out and told.",
                "Two-factor sign-in of %(count)d people reset; they were logged out and told.",
                queryset.count(),
            )
            % {"count": queryset.count()},
        )


@admin.register(TwoFactorPolicy)
class TwoFactorPolicyAdmin(AuditedAdmin, admin.ModelAdmin):
    """Which roles must use two-factor sign-in; enforced at each person's next log-in."""

    audit_action = Action.SETTINGS_CHANGED
    search_fields = ("id",)
    list_display = (
        "__str__",
        "is_required_for_agents",
        "is_required_for_team_leads",
        "is_required_for_administrators",
    )

    def has_add_permission(self, request) -> bool:
        return not TwoFactorPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        TwoFactorPolicy.load()
        return super().changelist_view(request, extra_context)


class _SecondFactorAdmin(ReadOnlyAdmin):
    """A person's second factors, shown without their secrets; reset them with the users'
    "Reset two-factor sign-in" action."""

    search_fields = ("user__email",)
    list_select_related = ("user",)


@admin.register(TotpDevice)
class TotpDeviceAdmin(_SecondFactorAdmin):
    list_display = ("user", "confirmed_at", "created_at")
    fields = ("user", "confirmed_at", "created_at")


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(_SecondFactorAdmin):
    list_display = ("user", "used_at")
    fields = ("user", "used_at")


@admin.register(Passkey)
class PasskeyAdmin(_SecondFactorAdmin):
    list_display = ("user", "name", "created_at", "last_used_at")
    fields = ("user", "name", "created_at", "last_used_at", "sign_count")


@admin.register(TrustedDevice)
class TrustedDeviceAdmin(_SecondFactorAdmin):
    list_display = ("user", "user_agent", "created_at", "expires_at")
    fields = ("user", "user_agent", "created_at", "expires_at")


class OrganizationDomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 0


class OrganizationProductInline(admin.TabularInline):
    model = OrganizationProduct
    extra = 0
    autocomplete_fields = ("product",)


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("name", "product", "priorities", "starts_on", "ends_on", "is_active")
    autocomplete_fields = ("product",)


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_action = Action.COMPANY_CHANGED
    list_display = (
        "name",
        "registration_number",
        "shares_requests",
        "shares_attachments",
        "is_active",
        "created_at",
    )
    list_filter = (
        "is_active",
        "shares_requests",
        "shares_attachments",
        "has_company_login",
        "products",
    )
    search_fields = ("name", "registration_number", "domains__domain")
    fields = (
        "name",
        "registration_number",
        "language",
        "time_zone",
        "shares_requests",
        "shares_attachments",
        "is_active",
        "has_company_login",
        "company_account",
    )
    readonly_fields = ("company_account",)
    inlines = (OrganizationDomainInline, OrganizationProductInline, ContractInline)

    @admin.display(description=_("company account"))
    def company_account(self, organization: Organization) -> str:
        account = (
            organization.users.filter(is_company_account=True).first() if organization.pk else None
        )
        if account is None:
            return str(_("Created when company log-in is switched on."))
        # Django's UserAdmin names this URL after auth's user, whatever the user model.
        url = reverse("admin:auth_user_password_change", args=[account.pk])
        if account.has_usable_password():
            return format_html('<a href="{}">{}</a>', url, _("Change its password"))
        return format_html(
            '<a href="{}">{}</a> — {}',
            url,
            _("Set its password"),
            _("then give it to the company by the channel agreed with them."),
        )

    def save_model(self, request, obj: Organization, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.has_company_login:
            account = services.company_account_ensure(organization=obj)
            if not account.has_usable_password():
                self.message_user(
                    request,
                    _("Company log-in is on: set the company account's password (below)."),
                    messages.WARNING,
                )


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_action = Action.COMPANY_CHANGED
    list_display = ("domain", "organization")
    list_select_related = ("organization",)
    search_fields = ("domain", "organization__name")
    autocomplete_fields = ("organization",)


@admin.register(OrganizationProduct)
class OrganizationProductAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_action = Action.COMPANY_CHANGED
    list_display = ("organization", "product", "shares_requests")
    list_filter = ("product", "shares_requests")
    list_select_related = ("organization", "product")
    search_fields = ("organization__name", *name_columns("product__name"))
    autocomplete_fields = ("organization", "product")


@admin.register(Contract)
class ContractAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_action = Action.COMPANY_CHANGED
    list_display = ("name", "organization", "product", "starts_on", "ends_on", "is_active")
    list_filter = ("is_active", "product", "priorities", "starts_on", "ends_on")
    list_select_related = ("organization", "product")
    search_fields = ("name", "organization__name", "organization__registration_number")
    autocomplete_fields = ("organization", "product")
    filter_horizontal = ("priorities",)


@admin.register(PortalSettings)
class PortalSettingsAdmin(AuditedAdmin, admin.ModelAdmin):
    """One row: the list shows it, there is nothing to add or delete."""

    audit_action = Action.SETTINGS_CHANGED

    list_display = ("__str__", "portal_name", "signup_mode", "invitation_lifetime_days")
    search_fields = ("portal_name",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        selectors.portal_settings_get()  # the row exists even after a database flush
        return super().changelist_view(request, extra_context)


@admin.register(AccessRequest)
class AccessRequestAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = (
        "email",
        "first_name",
        "last_name",
        "company_name",
        "registration_number",
        "organization",
        "state",
        "created_at",
    )
    list_filter = ("state", "created_at")
    list_select_related = ("organization",)
    search_fields = ("email", "first_name", "last_name", "company_name", "registration_number")
    autocomplete_fields = ("organization",)
    readonly_fields = (
        "email",
        "first_name",
        "last_name",
        "company_name",
        "registration_number",
        "message",
        "language",
        "state",
        "decided_by",
        "decided_at",
        "created_at",
    )
    fields = (*readonly_fields[:7], "organization", *readonly_fields[7:])
    actions = ("approve", "reject")

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Approve: invite them (into the company chosen on the request)"))
    def approve(self, request, queryset) -> None:
        for access_request in queryset.filter(state=AccessRequestState.PENDING):
            try:
                services.access_request_approve(
                    access_request=access_request, decided_by=request.user
                )
            except DomainError as exc:
                self.message_user(request, f"{access_request}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(email)s is invited.") % {"email": access_request.email}
                )

    @admin.action(description=_("Reject (no e-mail is sent)"))
    def reject(self, request, queryset) -> None:
        for access_request in queryset.filter(state=AccessRequestState.PENDING):
            try:
                services.access_request_reject(
                    access_request=access_request, decided_by=request.user
                )
            except DomainError as exc:
                self.message_user(request, f"{access_request}: {exc.message}", messages.ERROR)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "ip_address", "user_agent")
    list_select_related = ("user",)
    search_fields = ("user__email", "ip_address")
    readonly_fields = ("user", "session_key", "created_at", "ip_address", "user_agent")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# A locked account reads "locked" on the administration site's log-in page too.
admin.site.login_form = AdminLoginForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens (docs/api.md#tokens): administrators see and revoke them; the
    secret is never stored, so it cannot be shown; tokens are created by their users."""

    list_display = (
        "name",
        "prefix",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    )
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "id"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                services.api_token_revoke(actor=actor, token_id=token.pk)
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ApiTokenChange)
class ApiTokenChangeAdmin(admin.ModelAdmin):
    """What was changed with each API token (docs/api.md#tokens): read only."""

    list_display = ("at", "token", "method", "path", "status_code", "ip")
    list_filter = ("method",)
    search_fields = ("path", "token__prefix", "token__name", "token__user__email")
    list_select_related = ("token",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(admin.ModelAdmin):
    """The kept answers to API requests sent with an ``Idempotency-Key`` (docs/api.md): read
    only, for tracing what a client's retry was answered; forgotten after a day."""

    list_display = ("key", "token", "status_code", "created_at")
    search_fields = ("key", "token__prefix", "token__user__email")
    list_select_related = ("token",)
    readonly_fields = [f.name for f in ApiIdempotencyKey._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
