"""People and companies: users who log in by e-mail, customer companies, contracts, contacts."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.models import SingletonModel, TimeStampedModel
from supportal.core.text import one_line


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True, is_agent=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class Language(models.TextChoices):
    BROWSER = "", _("Browser's language")
    ENGLISH = "en", _("English")
    ROMANIAN = "ro", _("Romanian")
    CZECH = "cs", _("Czech")


def time_zone_validator(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in. The user name is the e-mail address (docs/requirements.md#accounts).

    Roles: a customer belongs to an organisation (``is_customer_admin`` for its admins); an
    agent is on the support team (``is_agent``) and works the desks of their memberships, as
    agent or team lead; an administrator is a superuser.
    """

    # Stored in lower case (the manager and clean() fold it), so unique means case-insensitive.
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
        help_text=_("The person's own choice; empty: see docs/languages.md for what applies."),
    )
    # What the portal learnt without asking (docs/languages.md): the language the person wrote
    # their first request in, and their browser's language on their first portal visit.
    detected_language = models.CharField(
        _("language detected from their writing"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
    )
    browser_language = models.CharField(
        _("browser's language on first visit"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    is_customer_admin = models.BooleanField(
        _("customer admin"),
        default=False,
        help_text=_("Manages the company's contact persons and sees all its requests."),
    )
    is_agent = models.BooleanField(
        _("support team member"),
        default=False,
        help_text=_("Agents work the desks they are members of."),
    )
    is_staff = models.BooleanField(
        _("administration site access"),
        default=False,
        help_text=_("May log in to the administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    has_email_notifications = models.BooleanField(
        _("e-mail notifications"),
        default=True,
        help_text=_(
            "Off stops status and comment e-mails; requests for information and resolutions "
            "still arrive."
        ),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[time_zone_validator],
        help_text=_("Empty: the portal's time zone."),
    )
    is_company_account = models.BooleanField(
        _("company account"),
        default=False,
        help_text=_(
            "The shared account of a company that logs in with its registration number. "
            "Its e-mail address is a placeholder that never receives mail."
        ),
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    invited_by = models.ForeignKey(
        "self",
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            # One shared company account per company (accounts.services.company_account_ensure).
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_company_account=True),
                name="accounts_user_one_company_account",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Names go into mail headers and pages: one line, no bidirectional controls, whichever
        # way they came in (forms, the admin, a mail's From:, the API) — docs/security.md.
        self.first_name = one_line(self.first_name)
        self.last_name = one_line(self.last_name)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_customer(self) -> bool:
        return not self.is_agent and not self.is_superuser


class Organization(TimeStampedModel):
    """A customer company. Some firms know a company by its registration number (CUI / IČO)."""

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(
        _("registration number"), max_length=40, blank=True, help_text=_("CUI / IČO")
    )
    shares_requests = models.BooleanField(
        _("colleagues see each other's requests"),
        default=False,
        help_text=_("For requests without a product; per-product settings override it."),
    )
    shares_attachments = models.BooleanField(
        _("colleagues see each other's attachments"),
        default=False,
        help_text=_("Off: a customer's attachment is seen by its uploader and the support team."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        default="",
        help_text=_("For its people who chose none, e.g. a Czech company. Empty: the site's."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[time_zone_validator],
        help_text=_("For its people who chose none. Empty: the site's."),
    )
    has_company_login = models.BooleanField(
        _("company log-in by registration number"),
        default=False,
        help_text=_(
            "Warning: a shared company account hides which person did what; personal accounts "
            "are recommended. When on (and company log-in is on in the portal settings), the "
            "registration number and the company account's password log in, and every request "
            "made from that account must name a contact e-mail."
        ),
    )
    products = models.ManyToManyField(
        "desks.Product",
        through="accounts.OrganizationProduct",
        related_name="organizations",
        blank=True,
        verbose_name=_("products"),
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        indexes = [models.Index(fields=["registration_number"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.registration_number = self.registration_number.strip()
        if not self.has_company_login:
            return
        if not self.registration_number:
            raise ValidationError(
                {"has_company_login": _("Company log-in needs a registration number.")}
            )
        others = Organization.objects.filter(
            registration_number__iexact=self.registration_number, has_company_login=True
        ).exclude(pk=self.pk)
        if others.exists():
            raise ValidationError(
                {
                    "has_company_login": _(
                        "Another company with this registration number already logs in by it."
                    )
                }
            )


class OrganizationProduct(models.Model):
    """A product a company has, and whether its users see each other's requests for it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="product_links"
    )
    product = models.ForeignKey(
        "desks.Product", on_delete=models.CASCADE, related_name="organization_links"
    )
    shares_requests = models.BooleanField(_("colleagues see each other's requests"), default=False)

    class Meta:
        verbose_name = _("company product")
        verbose_name_plural = _("company products")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product"], name="accounts_orgproduct_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.product}"


domain_validator = RegexValidator(
    r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$",
    _("Enter a domain such as example.com, in lower case."),
)


class OrganizationDomain(models.Model):
    """An e-mail domain that identifies a company's people (new senders join that company)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(
        _("domain"), max_length=253, unique=True, validators=[domain_validator]
    )

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ContractQuerySet(models.QuerySet):
    def in_force(self, day: datetime.date) -> ContractQuerySet:
        """Active contracts whose dates (either may be open) include ``day``."""
        return self.filter(
            Q(starts_on__isnull=True) | Q(starts_on__lte=day),
            Q(ends_on__isnull=True) | Q(ends_on__gte=day),
            is_active=True,
        )


class Contract(TimeStampedModel):
    """A company's maintenance contract: which priorities it may use, and (later) its SLA."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contracts"
    )
    product = models.ForeignKey(
        "desks.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text=_("Empty: the contract covers every product."),
    )
    name = models.CharField(_("name"), max_length=200)
    priorities = models.ManyToManyField(
        "desks.Priority", blank=True, related_name="contracts", verbose_name=_("priorities")
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["organization__name", "name"]

    def __str__(self) -> str:
        return f"{self.organization}: {self.name}"


class Gender(models.TextChoices):
    UNSPECIFIED = "", _("Unspecified")
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    OTHER = "o", _("Other")


class Contact(TimeStampedModel):
    """A person in a company's directory (docs/requirements.md#company-self-service); many
    never log in."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
    )
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("surname"), max_length=150)
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, blank=True, default=""
    )
    title = models.CharField(_("title"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    function = models.CharField(_("function"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class SignupMode(models.TextChoices):
    CLOSED = "closed", _("Closed: by invitation only")
    OPEN = "open", _("Open: anyone may sign up")
    DOMAINS = "domains", _("Known companies: addresses of their e-mail domains only")
    REQUEST = "request", _("Request access: an agent approves each request")


def _settings_language() -> str:
    return settings.LANGUAGE_CODE


def _settings_time_zone() -> str:
    return settings.TIME_ZONE


class PortalSettings(SingletonModel):
    """Site-wide account policy, edited by administrators (one row, ``pk=1``).

    Read it with ``accounts.selectors.portal_settings_get()``, which creates the row if missing.
    """

    portal_name = models.CharField(
        _("portal name"),
        max_length=100,
        default="Supportal",
        help_text=_("Shown in the e-mails that invite people and reset passwords."),
    )
    default_language = models.CharField(
        _("site language"),
        max_length=8,
        choices=[(code, name) for code, name in settings.LANGUAGES],
        default=_settings_language,
        help_text=_(
            "For people, companies and desks that name none, and for visitors whose browser "
            "asks for no language the portal speaks."
        ),
    )
    default_time_zone = models.CharField(
        _("site time zone"),
        max_length=64,
        default=_settings_time_zone,
        validators=[time_zone_validator],
        help_text=_("For people and companies that name none."),
    )
    signup_mode = models.CharField(
        _("sign-up"), max_length=10, choices=SignupMode.choices, default=SignupMode.CLOSED
    )
    invitation_lifetime_days = models.PositiveSmallIntegerField(
        _("invitation link lifetime (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    is_company_login_enabled = models.BooleanField(
        _("company log-in by registration number"),
        default=False,
        help_text=_(
            "Shows “Log in as a company” on the log-in page. Each company must also be "
            "switched on. Warning: shared accounts hide who did what."
        ),
    )

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="accounts_portalsettings_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Portal settings"))


class AccessRequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AccessRequest(TimeStampedModel):
    """A person who asked for an account in "request access" mode, after confirming their
    e-mail address. An agent verifies who they are and approves (an invitation follows) or
    rejects (nothing is sent)."""

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    registration_number = models.CharField(
        _("registration number"), max_length=40, blank=True, help_text=_("CUI / IČO")
    )
    message = models.TextField(_("message"), blank=True, max_length=1000)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, blank=True, default=""
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=AccessRequestState.choices,
        default=AccessRequestState.PENDING,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_requests",
        help_text=_("The company the person joins when approved."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(state="pending"),
                name="accounts_accessrequest_one_pending",
            )
        ]

    def __str__(self) -> str:
        return self.email


class UserSession(models.Model):
    """A log-in, so a user can see where they are logged in and end those sessions.

    Recorded on every log-in (``user_logged_in``), removed on log-out; the session itself lives
    in Django's session store, whose ``Session`` rows tell which are still alive.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("logged in"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("log-in session")
        verbose_name_plural = _("log-in sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} — {self.created_at:%Y-%m-%d %H:%M}"


# The API's tokens live in their own module (docs/api.md); imported here so that
# ``supportal.accounts.models`` names every model of the app.
from supportal.accounts.models.api_tokens import (  # noqa: E402
    ApiIdempotencyKey as ApiIdempotencyKey,
)
from supportal.accounts.models.api_tokens import ApiToken as ApiToken  # noqa: E402
from supportal.accounts.models.api_tokens import ApiTokenChange as ApiTokenChange  # noqa: E402
from supportal.accounts.models.api_tokens import ApiTokenScope as ApiTokenScope  # noqa: E402
from supportal.accounts.models.twofactor import Passkey as Passkey  # noqa: E402
from supportal.accounts.models.twofactor import RecoveryCode as RecoveryCode  # noqa: E402
from supportal.accounts.models.twofactor import TotpDevice as TotpDevice  # noqa: E402
from supportal.accounts.models.twofactor import TrustedDevice as TrustedDevice  # noqa: E402
from supportal.accounts.models.twofactor import (  # noqa: E402
    TwoFactorPolicy as TwoFactorPolicy,
)
