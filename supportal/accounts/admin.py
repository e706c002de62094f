"""Admin for people and companies: users (e-mail log-in), companies, contracts, contacts."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import (
    BaseUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import (
    Contact,
    Contract,
    Organization,
    OrganizationDomain,
    OrganizationProduct,
    User,
)


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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "phone", "language")}),
        (
            _("Roles"),
            {
                "fields": (
                    "organization",
                    "is_customer_admin",
                    "is_agent",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Notifications"), {"fields": ("has_email_notifications",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
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
    readonly_fields = ("last_login", "date_joined")
    autocomplete_fields = ("organization",)
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
class OrganizationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "registration_number",
        "shares_requests",
        "shares_attachments",
        "is_active",
        "created_at",
    )
    list_filter = ("is_active", "shares_requests", "shares_attachments", "products")
    search_fields = ("name", "registration_number", "domains__domain")
    fields = ("name", "registration_number", "shares_requests", "shares_attachments", "is_active")
    inlines = (OrganizationDomainInline, OrganizationProductInline, ContractInline)


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "organization")
    list_select_related = ("organization",)
    search_fields = ("domain", "organization__name")
    autocomplete_fields = ("organization",)


@admin.register(OrganizationProduct)
class OrganizationProductAdmin(admin.ModelAdmin):
    list_display = ("organization", "product", "shares_requests")
    list_filter = ("product", "shares_requests")
    list_select_related = ("organization", "product")
    search_fields = ("organization__name", "product__name")
    autocomplete_fields = ("organization", "product")


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "product", "starts_on", "ends_on", "is_active")
    list_filter = ("is_active", "product", "priorities", "starts_on", "ends_on")
    list_select_related = ("organization", "product")
    search_fields = ("name", "organization__name", "organization__registration_number")
    autocomplete_fields = ("organization", "product")
    filter_horizontal = ("priorities",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = (
        "last_name",
        "first_name",
        "organization",
        "function",
        "email",
        "mobile",
        "user",
        "is_active",
    )
    list_display_links = ("last_name", "first_name")
    list_filter = ("is_active", "gender")
    list_select_related = ("organization", "user")
    search_fields = (
        "last_name",
        "first_name",
        "email",
        "mobile",
        "function",
        "organization__name",
        "user__email",
    )
    autocomplete_fields = ("organization", "user")
