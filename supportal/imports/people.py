"""Companies and people of the source as Supportal's companies and accounts.

People are matched by e-mail address (an account that exists stands for them: "mapped"),
companies by name, as ``accounts.services.customer_register`` finds them. Customers are
registered without the invitation (``manage.py invite_imported`` invites them when the firm is
ready, docs/import.md); agents get an account without a password and the target desk's
membership. Someone the source no longer has (a deleted user) gets an inactive account under
an address that cannot receive mail, so their requests and comments keep an author.
"""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from supportal.accounts.models import Organization, User
from supportal.accounts.services import customer_register
from supportal.desks.models import Desk, DeskMembership, DeskRole
from supportal.imports.models import ImportedKind, ImportedObject
from supportal.imports.records import Company, Person
from supportal.imports.report import ImportReport

# Addresses of deleted or address-less people: the reserved ".invalid" top-level domain can
# never receive mail.
PLACEHOLDER_DOMAIN = "import.invalid"
# Stands in for an object a dry run would create.
WOULD_CREATE = 0


def placeholder_email(source: str, source_id: str) -> str:
    digest = hashlib.sha256(f"{source}\n{source_id}".encode()).hexdigest()[:16]
    return f"deleted-{digest}@{PLACEHOLDER_DOMAIN}"


def _names(name: str) -> tuple[str, str]:
    first, _sep, last = " ".join(name.split()).partition(" ")
    return first[:150], last[:150]


class Directory:
    """Who and which company each source id became, remembered for the run (people and
    companies are few next to requests) and in ``ImportedObject`` across runs."""

    def __init__(self, *, source: str, desk: Desk, report: ImportReport, dry_run: bool) -> None:
        self.source = source
        self.desk = desk
        self.report = report
        self.dry_run = dry_run
        self.users: dict[str, int] = {}
        self.companies: dict[str, int] = {}
        # A dry run's people-to-be, by address: the second record of one person is mapped.
        self._planned: set[str] = set()
        self._user_type = ContentType.objects.get_for_model(User)
        self._company_type = ContentType.objects.get_for_model(Organization)

    def _known(self, kind: ImportedKind, source_id: str) -> int | None:
        return (
            ImportedObject.objects.filter(source=self.source, kind=kind, source_id=source_id)
            .values_list("object_id", flat=True)
            .first()
        )

    def _remember(self, kind: ImportedKind, source_id: str, obj: User | Organization) -> None:
        ImportedObject.objects.create(
            source=self.source,
            kind=kind,
            source_id=source_id,
            content_type=self._user_type if isinstance(obj, User) else self._company_type,
            object_id=obj.pk,
        )

    def company_write(self, record: Company) -> None:
        """The company, found by name or created; remembered either way."""
        known = self._known(ImportedKind.COMPANY, record.source_id)
        if known is not None:
            self.companies[record.source_id] = known
            self.report.count("company", "skipped")
            return
        name = " ".join(record.name.split())[:200] or record.source_id
        organization = Organization.objects.filter(name__iexact=name).first()
        self.report.count("company", "mapped" if organization else "created")
        if self.dry_run:
            self.companies[record.source_id] = organization.pk if organization else WOULD_CREATE
            return
        with transaction.atomic():
            if organization is None:
                organization = Organization.objects.create(
                    name=name, registration_number=record.registration_number[:40]
                )
            self._remember(ImportedKind.COMPANY, record.source_id, organization)
        self.companies[record.source_id] = organization.pk

    def person_write(self, record: Person) -> None:
        """The person's account, found by e-mail or created (no invitation, no mail)."""
        known = self._known(ImportedKind.PERSON, record.source_id)
        if known is not None:
            self.users[record.source_id] = known
            self.report.count("person", "skipped")
            if record.is_agent and not self.dry_run:
                self._membership_ensure(User.objects.get(pk=known))
            return
        email = (record.email or "").strip().lower()
        if not email or "@" not in email:
            email = placeholder_email(self.source, record.source_id)
        user = User.objects.filter(email__iexact=email).first()
        is_planned = email in self._planned
        self.report.count("person", "mapped" if user or is_planned else "created")
        if self.dry_run:
            self._planned.add(email)
            self.users[record.source_id] = user.pk if user else WOULD_CREATE
            return
        with transaction.atomic():
            if user is None:
                user = self._user_create(record, email)
            elif record.is_agent and not user.is_agent:
                # An agent who was also a customer there: the support role wins here.
                user.is_agent = True
                user.save(update_fields=["is_agent"])
            if user.is_agent:
                self._membership_ensure(user)
            self._remember(ImportedKind.PERSON, record.source_id, user)
        self.users[record.source_id] = user.pk

    def _user_create(self, record: Person, email: str) -> User:
        first_name, last_name = _names(record.name)
        is_active = not record.is_deleted and not email.endswith("@" + PLACEHOLDER_DOMAIN)
        if record.is_agent:
            return User.objects.create_user(
                email,
                password=None,
                first_name=first_name,
                last_name=last_name,
                phone=record.phone[:40],
                is_agent=True,
                is_active=is_active,
            )
        company_pk = self.companies.get(record.company_id or "") or (
            self._known(ImportedKind.COMPANY, record.company_id) if record.company_id else None
        )
        user = customer_register(
            email=email,
            invited_by=None,
            is_invited=False,
            organization=Organization.objects.filter(pk=company_pk).first() if company_pk else None,
            first_name=first_name,
            last_name=last_name,
            phone=record.phone,
        )
        if not is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        return user

    def _membership_ensure(self, user: User) -> None:
        DeskMembership.objects.get_or_create(
            desk=self.desk, user=user, defaults={"role": DeskRole.AGENT}
        )

    def user_id(self, source_id: str | None) -> int | None:
        """The account a source person id became; someone never listed (deleted there) gets
        a placeholder account now. None for no one (the system)."""
        if not source_id:
            return None
        if source_id in self.users:
            return self.users[source_id]
        known = self._known(ImportedKind.PERSON, source_id)
        if known is None:
            self.person_write(Person(source_id=source_id, email="", is_deleted=True))
        else:
            self.users[source_id] = known
        return self.users[source_id]
