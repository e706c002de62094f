"""How customer accounts come to be: invitations, registration by an agent or by mail, and
company accounts."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts import selectors, throttle
from supportal.accounts.events import customer_listeners
from supportal.accounts.languages import recipient_language
from supportal.accounts.models import (
    Organization,
    User,
)
from supportal.accounts.services._common import (
    COMPANY_ACCOUNT_DOMAIN,
    _email_clean,
    _language,
    _link,
)
from supportal.accounts.tokens import (
    invitation_tokens,
    uid_encode,
)
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.core.mails import mail_queue


def _may_invite(invited_by: User | None, organization: Organization | None) -> Organization | None:
    if invited_by is None or invited_by.is_agent or invited_by.is_superuser:
        return organization
    if invited_by.is_customer_admin and invited_by.organization_id is not None:
        if organization is not None and organization.pk != invited_by.organization_id:
            raise PermissionRefused(_("You may invite only people of your own company."))
        return invited_by.organization
    raise PermissionRefused(_("You may not invite people."))


def _invitation_queue(*, user: User, invited_by: User | None, language: str, now: datetime) -> None:
    if (
        invited_by is not None
        and invited_by.is_customer
        and not throttle.account_mail_budget_take("invitation", ip=f"user:{invited_by.pk}")
    ):
        # A customer admin inviting address after address: the hourly caps stop the mail.
        return
    portal = selectors.portal_settings_get()
    mail_queue(
        to=user.email,
        template="invitation",
        language=_language(language, recipient_language(user)),
        context={
            "portal_name": portal.portal_name,
            "inviter_name": (invited_by.get_full_name() or invited_by.email) if invited_by else "",
            "email": user.email,
            "link": _link(
                "accounts:invitation",
                uidb64=uid_encode(user),
                token=invitation_tokens.make_token(user, now=now),
            ),
            "lifetime_days": portal.invitation_lifetime_days,
        },
    )
    user.invited_at = now
    user.invited_by = invited_by
    user.save(update_fields=["invited_at", "invited_by"])
    audit.record(
        actor=invited_by,
        action=Action.INVITATION_SENT,
        obj=user,
        after={"email": user.email, "organization": user.organization_id},
    )


def customer_invite(
    *,
    email: str,
    invited_by: User | None,
    organization: Organization | None = None,
    language: str = "",
    detected_language: str = "",
    now: datetime | None = None,
) -> User:
    """Register a customer, if new, and send the invitation ("X invited you to the portal",
    docs/requirements.md#accounts) with a single-use link to set a password. Returns the user.

    Called by agents (phone requests), inbound mail (a first message, ``invited_by=None``),
    customer admins (their own company only) and access-request approval. Idempotent: an
    existing user is never duplicated or moved to another company; a missing company or
    language is filled in (the company only by an agent, an administrator or the system: a
    customer admin's invitation never moves an existing account); no mail is sent if the
    person already has a password, is inactive
    or is a company account, or was invited so recently that that link still works.

    ``organization`` defaults to the company whose e-mail domain matches the address.
    ``language`` is the person's own choice (an agent's on the phone); ``detected_language``
    what their writing showed (docs/languages.md); the mail goes out in the language those,
    the company and the site give.
    Side effects: may create the user (unusable password; ``accounts.events.customer_listeners``
    are told) and queue one ``invitation`` mail;
    sets ``invited_at``/``invited_by``. Raises ``InvalidInput`` for a bad address and
    ``PermissionRefused`` when ``invited_by`` may not invite into that company.
    """
    with transaction.atomic():
        user, created = _invite(
            email=email,
            invited_by=invited_by,
            organization=organization,
            language=language,
            detected_language=detected_language,
            now=now,
        )
        if created:
            customer_listeners.notify(user)
    return user


def _invite(
    *,
    email: str,
    invited_by: User | None,
    organization: Organization | None,
    language: str,
    detected_language: str,
    now: datetime | None,
) -> tuple[User, bool]:
    """``customer_invite`` without telling the listeners; and whether the account is new
    (``customer_register`` tells them once the names are in)."""
    email = _email_clean(email)
    now = now or timezone.now()
    organization = _may_invite(invited_by, organization or selectors.organization_for_email(email))
    language = language if language in dict(settings.LANGUAGES) else ""
    detected_language = detected_language if detected_language in dict(settings.LANGUAGES) else ""
    with transaction.atomic():
        user, created = _account_locked(email, organization, language, detected_language)
        _account_complete(user, organization, invited_by, language, detected_language)
        if user.has_usable_password() or not user.is_active or user.is_company_account:
            return user, created
        if user.invited_at and now - user.invited_at < invitation_tokens.lifetime():
            return user, created  # the link already sent still works
        _invitation_queue(user=user, invited_by=invited_by, language=language, now=now)
    return user, created


def _account_locked(
    email: str, organization: Organization | None, language: str, detected_language: str
) -> tuple[User, bool]:
    """The account of ``email``, locked, created if missing; and whether it was created."""
    user = User.objects.select_for_update().filter(email=email).first()
    if user is not None:
        return user, False
    try:
        # A savepoint: a concurrent invitation of the same address may win the insert.
        with transaction.atomic():
            created = User.objects.create_user(
                email,
                password=None,
                organization=organization,
                language=language,
                detected_language=detected_language,
            )
        return created, True
    except IntegrityError:
        return User.objects.select_for_update().get(email=email), False


def _account_complete(
    user: User,
    organization: Organization | None,
    invited_by: User | None,
    language: str,
    detected_language: str,
) -> None:
    """Fill what an existing account lacks: its company (see below) and languages."""
    changed = []
    # An existing account joins a company only by the support team's hand (or the domain
    # mapping an administrator set up): a customer admin never takes over an account that
    # is not already theirs to manage (docs/security.md).
    may_move = invited_by is None or invited_by.is_agent or invited_by.is_superuser
    if user.organization_id is None and organization is not None and user.is_customer and may_move:
        user.organization = organization
        changed.append("organization")
    if not user.language and language:
        user.language = language
        changed.append("language")
    if not user.detected_language and detected_language:
        user.detected_language = detected_language
        changed.append("detected_language")
    if changed:
        user.save(update_fields=changed)


def company_account_ensure(*, organization: Organization) -> User:
    """The shared account a company logs in to with its registration number, created (with
    an unusable password: an administrator sets it) if missing. Side effects: may create it."""
    existing = User.objects.filter(organization=organization, is_company_account=True).first()
    if existing is not None:
        return existing
    return User.objects.create_user(
        f"company-{organization.pk}@{COMPANY_ACCOUNT_DOMAIN}",
        password=None,
        organization=organization,
        is_company_account=True,
        first_name=organization.name[:150],
    )


def customer_register(
    *,
    email: str,
    invited_by: User | None,
    is_invited: bool = True,
    organization: Organization | None = None,
    new_company: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    language: str = "",
    detected_language: str = "",
    now: datetime | None = None,
) -> User:
    """The one way a customer account comes to be: an agent registering a caller, inbound mail
    from a new sender, and (through ``customer_invite``) every invitation.

    ``new_company`` names a company to file the customer under, found by name or created.
    ``is_invited=False`` registers without the invitation mail (inbound mail from a sender no
    known company vouches for). Names and phone fill only what is still blank; ``language`` and
    ``detected_language`` are as for ``customer_invite`` (docs/languages.md). Side effects:
    those of ``customer_invite`` when invited; may create the Organization and the User.
    """
    new_company = (new_company or "").strip()
    with transaction.atomic():
        if new_company:
            organization = Organization.objects.filter(name__iexact=new_company).first()
            if organization is None:
                organization = Organization.objects.create(name=new_company[:200])
        if is_invited:
            user, created = _invite(
                email=email,
                invited_by=invited_by,
                organization=organization,
                language=language,
                detected_language=detected_language,
                now=now,
            )
        else:
            user, created = _uninvited(email, organization, language, detected_language)
        _names_fill(user, first_name=first_name, last_name=last_name, phone=phone)
        if created:
            customer_listeners.notify(user)
    return user


def _uninvited(
    email: str, organization: Organization | None, language: str, detected_language: str
) -> tuple[User, bool]:
    """The account of ``email`` as the mail arrived (an address our mail parser accepted is
    kept as it is), created without an invitation if missing; and whether it was created."""
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    languages = dict(settings.LANGUAGES)
    user = User.objects.create_user(
        email,
        password=None,
        organization=organization,
        language=language if language in languages else "",
        detected_language=detected_language if detected_language in languages else "",
    )
    return user, True


def _names_fill(user: User, *, first_name: str, last_name: str, phone: str) -> None:
    """Names and phone fill only what is still blank."""
    names = {
        "first_name": (first_name or "").strip()[:150],
        "last_name": (last_name or "").strip()[:150],
        "phone": (phone or "").strip()[:40],
    }
    changed = [name for name, value in names.items() if value and not getattr(user, name)]
    for name in changed:
        setattr(user, name, names[name])
    if changed:
        user.save(update_fields=changed)


def organization_find_or_create(
    *, actor: User, name: str, registration_number: str = ""
) -> tuple[Organization, bool]:
    """The company named ``name`` (found by name, as ``customer_register`` finds it), created
    when there is none; the support team only. Returns (company, created).

    Raises PermissionRefused for customers, InvalidInput for an empty or long name.
    """
    if not (actor.is_agent or actor.is_superuser):
        raise PermissionRefused(_("Only the support team registers companies."))
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Name the company."), field="name")
    if len(name) > 200:
        raise InvalidInput(_("A company name is limited to 200 characters."), field="name")
    registration_number = (registration_number or "").strip()[:40]
    with transaction.atomic():
        organization = Organization.objects.filter(name__iexact=name).first()
        if organization is not None:
            return organization, False
        return (
            Organization.objects.create(name=name, registration_number=registration_number),
            True,
        )
