"""People and companies: users who log in by e-mail, customer companies, contracts, contacts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.core.models import TimeStampedModel


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


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in. The user name is the e-mail address (seed 000).

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
        _("language"), max_length=8, choices=Language.choices, blank=True, default=""
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

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

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
    """A person in a company's directory (seed 003); many never log in."""

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
