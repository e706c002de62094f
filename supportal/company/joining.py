"""An existing account joins a company only with its owner's consent (docs/security.md,
"Accounts").

A customer admin who invites a contact whose address already has an account of no company
cannot move that account (that was the takeover). Instead its owner gets a mail asking them to
join the company, with a signed link naming the contact and the account; the account joins only
when its owner, logged in, confirms on the page the link opens. The link works for the
invitation lifetime, only for that account, and only while the account has no company (so once).
Both the request and the joining are in the contact's change log.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.accounts import throttle
from supportal.accounts.languages import recipient_language
from supportal.accounts.models import Contact, Organization, User
from supportal.accounts.selectors import portal_settings_get
from supportal.company.models import ContactChange, ContactChangeKind
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.core.mails import mail_queue

SALT = "supportal.company.join"


def may_be_asked(user: User) -> bool:
    """An account its owner may be asked to bring into a company: a person's, of no company."""
    return (
        user.organization_id is None
        and user.is_customer
        and user.is_active
        and not user.is_company_account
    )


def _lifetime() -> timedelta:
    return timedelta(days=portal_settings_get().invitation_lifetime_days)


def join_ask(*, contact: Contact, user: User, actor: User) -> None:
    """Mail ``user`` a link to join ``contact``'s company. Side effects: one ``company_join``
    mail (within the inviter's hourly cap, as invitations) and one ContactChange."""
    ContactChange.objects.create(
        contact=contact,
        actor=actor,
        kind=ContactChangeKind.INVITED,
        changes={"email": contact.email, "consent": "asked"},
    )
    if not throttle.account_mail_budget_take("invitation", ip=f"user:{actor.pk}"):
        return
    token = signing.dumps({"c": contact.pk, "u": user.pk}, salt=SALT, compress=True)
    mail_queue(
        to=user.email,
        template="company_join",
        language=recipient_language(user),
        context={
            "portal_name": portal_settings_get().portal_name,
            "inviter_name": actor.get_full_name() or actor.email,
            "company": contact.organization.name,
            "link": settings.SUPPORTAL_BASE_URL
            + reverse("portal:company_join", kwargs={"token": token}),
            "lifetime_days": portal_settings_get().invitation_lifetime_days,
        },
    )


def join_request_read(token: str, *, user: User) -> Contact:
    """The contact a join link names, for ``user`` only. Raises NotFound for an altered link or
    one made for another account, InvalidInput for an expired one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=_lifetime())
    except signing.SignatureExpired:
        raise InvalidInput(
            _("This link has expired. Ask your company's administrator to invite you again.")
        ) from None
    except signing.BadSignature:
        raise NotFound() from None
    contact = Contact.objects.select_related("organization").filter(pk=data.get("c")).first()
    if data.get("u") != user.pk or contact is None or not contact.is_active:
        raise NotFound()
    return contact


def join_accept(*, token: str, user: User) -> Organization:
    """The owner of the account confirms: it joins the company and is linked to the contact.
    Side effects: the user's company, the contact's user, one ContactChange (by the owner)."""
    contact = join_request_read(token, user=user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.organization_id == contact.organization_id:
            return contact.organization  # already done (the button pressed twice)
        if not may_be_asked(user):
            raise PermissionRefused(_("Your account already belongs to a company."))
        user.organization = contact.organization
        user.save(update_fields=["organization"])
        if contact.user_id is None and not Contact.objects.filter(user=user).exists():
            contact.user = user
            contact.save(update_fields=["user", "updated_at"])
        ContactChange.objects.create(
            contact=contact,
            actor=user,
            kind=ContactChangeKind.JOINED,
            changes={"email": user.email},
        )
    return contact.organization
