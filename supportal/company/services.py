"""The only code that changes contacts, subscriptions, downloads and newsletter issues.

Every contact change writes a :class:`ContactChange` (who, when, what). Permission is checked
here too, so every interface (portal, workspace, admin actions) gets the same rules.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts import services as account_services
from supportal.accounts.models import Contact, Organization, User
from supportal.audit.models import Action
from supportal.company import joining, selectors
from supportal.company.models import (
    ContactChange,
    ContactChangeKind,
    Download,
    IssueAttachment,
    NewsletterDelivery,
    NewsletterIssue,
    NewsletterList,
    Subscription,
    SupportLine,
    Topic,
)
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused
from supportal.core.formats import file_size
from supportal.desks.models import Product

CONTACT_FIELDS = ("first_name", "last_name", "gender", "title", "mobile", "email", "function")


def _require_manager(actor: User, organization: Organization) -> None:
    if not selectors.may_manage_contacts(actor, organization):
        raise NotFound()


def _clean_values(values: Mapping[str, Any]) -> dict[str, str]:
    cleaned = {name: str(values.get(name, "") or "").strip() for name in CONTACT_FIELDS}
    cleaned["email"] = cleaned["email"].lower()
    if not cleaned["first_name"] or not cleaned["last_name"]:
        raise InvalidInput(_("A contact needs a name and a surname."), field="last_name")
    return cleaned


def _email_unique(organization: Organization, email: str, *, exclude: int | None = None) -> None:
    if not email:
        return
    others = Contact.objects.filter(organization=organization, email__iexact=email)
    if exclude:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise InvalidInput(_("Another contact of this company has that e-mail."), field="email")


def contact_create(
    *, organization: Organization, actor: User, values: Mapping[str, Any]
) -> Contact:
    """Add a person to ``organization``'s directory. Side effects: one ContactChange."""
    _require_manager(actor, organization)
    cleaned = _clean_values(values)
    with transaction.atomic():
        _email_unique(organization, cleaned["email"])
        contact = Contact.objects.create(organization=organization, **cleaned)
        ContactChange.objects.create(
            contact=contact,
            actor=actor,
            kind=ContactChangeKind.CREATED,
            changes={name: [None, value] for name, value in cleaned.items() if value},
        )
        audit.record(actor=actor, action=Action.CONTACT_CHANGED, obj=contact, after=cleaned)
    return contact


def contact_update(*, contact: Contact, actor: User, values: Mapping[str, Any]) -> Contact:
    """Edit a contact's details. Side effects: one ContactChange listing old and new values
    (none when nothing changed); a linked user's name follows the contact's."""
    _require_manager(actor, contact.organization)
    cleaned = _clean_values(values)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        _email_unique(contact.organization, cleaned["email"], exclude=contact.pk)
        changes = {
            name: [getattr(contact, name), value]
            for name, value in cleaned.items()
            if getattr(contact, name) != value
        }
        if not changes:
            return contact
        for name, value in cleaned.items():
            setattr(contact, name, value)
        contact.save()
        if contact.user_id and ({"first_name", "last_name"} & changes.keys()):
            # Only an account of this company follows its contact (docs/security.md).
            User.objects.filter(pk=contact.user_id, organization_id=contact.organization_id).update(
                first_name=contact.first_name, last_name=contact.last_name
            )
        ContactChange.objects.create(
            contact=contact, actor=actor, kind=ContactChangeKind.UPDATED, changes=changes
        )
        audit.record(
            actor=actor,
            action=Action.CONTACT_CHANGED,
            obj=contact,
            before={name: old for name, (old, _new) in changes.items()},
            after={name: new for name, (_old, new) in changes.items()},
        )
    return contact


def contact_set_active(*, contact: Contact, actor: User, is_active: bool) -> Contact:
    """Deactivate (or reactivate) a contact. A deactivated contact's user cannot log in;
    their requests and history stay. Side effects: the linked user's ``is_active`` follows,
    one ContactChange."""
    _require_manager(actor, contact.organization)
    if contact.user_id == actor.pk and not is_active:
        raise PermissionRefused(_("You cannot deactivate yourself."))
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.is_active == is_active:
            return contact
        contact.is_active = is_active
        contact.save(update_fields=["is_active", "updated_at"])
        if contact.user_id:
            User.objects.filter(pk=contact.user_id, organization_id=contact.organization_id).update(
                is_active=is_active
            )
        ContactChange.objects.create(
            contact=contact,
            actor=actor,
            kind=ContactChangeKind.REACTIVATED if is_active else ContactChangeKind.DEACTIVATED,
            changes={"is_active": [not is_active, is_active]},
        )
        audit.record(
            actor=actor,
            action=Action.CONTACT_CHANGED,
            obj=contact,
            before={"is_active": not is_active},
            after={"is_active": is_active},
        )
    return contact


ADMIN_TRACKED_FIELDS = (*CONTACT_FIELDS, "organization", "user", "is_active")


def _admin_value(contact: Contact, name: str) -> Any:
    if name in ("organization", "user"):
        related = getattr(contact, name)
        return str(related) if related is not None else None
    return getattr(contact, name)


def contact_admin_saved(
    *, contact: Contact, actor: User, before: Contact | None
) -> ContactChange | None:
    """Record a save made in the Django admin, which writes the row itself: the same
    ContactChange the portal and workspace write. ``before`` is the row as it was (None for a
    new contact). The admin's own permissions apply, so none are checked here.

    Side effects: one ContactChange (created; deactivated or reactivated when ``is_active``
    changed; else edited; none when nothing changed); as in the portal, a linked user's name
    and ``is_active`` follow the contact's."""
    with transaction.atomic():
        if before is None:
            kind = ContactChangeKind.CREATED
            changes = {
                name: [None, value]
                for name in ADMIN_TRACKED_FIELDS
                if (value := _admin_value(contact, name)) not in (None, "") and name != "is_active"
            }
        else:
            changes = {
                name: [old, new]
                for name in ADMIN_TRACKED_FIELDS
                if (old := _admin_value(before, name)) != (new := _admin_value(contact, name))
            }
            if not changes:
                return None
            if "is_active" in changes:
                kind = (
                    ContactChangeKind.REACTIVATED
                    if contact.is_active
                    else ContactChangeKind.DEACTIVATED
                )
            else:
                kind = ContactChangeKind.UPDATED
        # Only what changed follows: a user deactivated on their own stays so after an edit.
        follows = {
            name: getattr(contact, name)
            for name in ("first_name", "last_name", "is_active")
            if before is not None and name in changes
        }
        if contact.user_id and follows:
            User.objects.filter(pk=contact.user_id).update(**follows)
        return ContactChange.objects.create(
            contact=contact, actor=actor, kind=kind, changes=changes
        )


def contact_invite(*, contact: Contact, actor: User) -> User:
    """Invite a contact to the portal through ``accounts.services.customer_invite`` (idempotent:
    no second mail while the first link works) and link the contact to the user. An existing
    account of no company is not moved: its owner is asked to join (``joining.join_ask``); the
    returned user then has no company yet. Side effects: may create the user and queue the
    invitation (or the join request) mail; one ContactChange."""
    _require_manager(actor, contact.organization)
    if not contact.is_active:
        raise InvalidInput(_("Reactivate the contact before inviting them."))
    if not contact.email:
        raise InvalidInput(_("The contact needs an e-mail address first."), field="email")
    with transaction.atomic():
        user = account_services.customer_invite(
            email=contact.email, invited_by=actor, organization=contact.organization
        )
        if user.organization_id != contact.organization_id and joining.may_be_asked(user):
            # Someone else's account, of no company: only its owner may bring it in.
            joining.join_ask(contact=contact, user=user, actor=actor)
            return user
        if user.organization_id != contact.organization_id:
            raise PermissionRefused(
                _(
                    "%(email)s already has an account that is not your company's. Ask the "
                    "support team to add it to your company."
                )
                % {"email": contact.email}
            )
        if contact.user_id is None and not Contact.objects.filter(user=user).exists():
            contact.user = user
            contact.save(update_fields=["user", "updated_at"])
            if not user.get_full_name():
                User.objects.filter(pk=user.pk).update(
                    first_name=contact.first_name, last_name=contact.last_name
                )
        ContactChange.objects.create(
            contact=contact,
            actor=actor,
            kind=ContactChangeKind.INVITED,
            changes={"email": contact.email},
        )
    return user


def subscriptions_set(
    *, contact: Contact, actor: User, newsletter_ids: Iterable[int]
) -> tuple[list[NewsletterList], list[NewsletterList]]:
    """Make the contact's subscriptions exactly ``newsletter_ids`` among the lists offered to
    the company; returns (added, removed). Side effects: one ContactChange per list changed."""
    _require_manager(actor, contact.organization)
    offered = {n.pk: n for n in selectors.newsletter_lists_for_organization(contact.organization)}
    wanted = set(newsletter_ids)
    if wanted - offered.keys():
        raise NotFound()
    with transaction.atomic():
        current = set(
            Subscription.objects.filter(contact=contact).values_list("newsletter_id", flat=True)
        )
        added = [offered[pk] for pk in sorted(wanted - current)]
        # Lists no longer offered (product dropped) are left alone: unsubscribe them explicitly.
        removed = [offered[pk] for pk in sorted((current & offered.keys()) - wanted)]
        if added and not contact.email:
            raise InvalidInput(_("The contact needs an e-mail address first."), field="email")
        Subscription.objects.bulk_create(
            [Subscription(contact=contact, newsletter=n) for n in added]
        )
        Subscription.objects.filter(contact=contact, newsletter__in=removed).delete()
        ContactChange.objects.bulk_create(
            [
                ContactChange(
                    contact=contact,
                    actor=actor,
                    kind=ContactChangeKind.SUBSCRIBED,
                    changes={"newsletter": str(n)},
                )
                for n in added
            ]
            + [
                ContactChange(
                    contact=contact,
                    actor=actor,
                    kind=ContactChangeKind.UNSUBSCRIBED,
                    changes={"newsletter": str(n)},
                )
                for n in removed
            ]
        )
    return added, removed


def subscription_unsubscribe_by_link(
    *, contact_id: int, newsletter_id: int, actor: User | None = None
) -> bool:
    """The contact's own unsubscribe: by the one-click link (no ``actor``) or from their portal
    page (``actor`` is their user). Idempotent; returns whether a subscription ended. Side
    effects: deletes the subscription, one ContactChange."""
    with transaction.atomic():
        deleted, _counts = Subscription.objects.filter(
            contact_id=contact_id, newsletter_id=newsletter_id
        ).delete()
        if deleted:
            newsletter = NewsletterList.objects.get(pk=newsletter_id)
            ContactChange.objects.create(
                contact_id=contact_id,
                actor=actor,
                kind=ContactChangeKind.UNSUBSCRIBED,
                changes={"newsletter": str(newsletter), "by_link": actor is None},
            )
    return bool(deleted)


def download_publish(
    *,
    actor: User,
    product: Product,
    topic: Topic,
    title: str,
    file: UploadedFile,
    version: str = "",
    notes: str = "",
    released_on: dt.date | None = None,
    notify_subscribers: bool = False,
) -> Download:
    """Publish a file for the companies that have ``product``. With ``notify_subscribers``,
    every active list of that product gets an issue announcing it. Side effects: stores the
    file; an audit entry; may create issues and their deliveries (sent later by the worker)."""
    if not selectors.is_support(actor):
        raise PermissionRefused(_("Only the support team publishes downloads."))
    if not title.strip():
        raise InvalidInput(_("A download needs a title."), field="title")
    with transaction.atomic():
        download = Download(
            product=product,
            topic=topic,
            title=title.strip(),
            version=version.strip(),
            notes=notes.strip(),
            released_on=released_on or timezone.localdate(),
            file_name=(file.name or "").rsplit("/", 1)[-1],
            published_by=actor,
        )
        download.file.save(download.file_name, file, save=False)
        download.save()
        audit.record(
            actor=actor,
            action=Action.DOWNLOAD_PUBLISHED,
            obj=download,
            after={
                "product": product,
                "topic": topic,
                "title": download.title,
                "version": download.version,
                "file_name": download.file_name,
                "notify_subscribers": notify_subscribers,
            },
        )
        if notify_subscribers:
            for newsletter in NewsletterList.objects.filter(product=product, is_active=True):
                subject = _("New download: %(title)s") % {"title": str(download)}
                issue_send(
                    newsletter=newsletter,
                    actor=actor,
                    subject=subject,
                    body=download.notes,
                    download=download,
                )
    return download


DEFAULT_ISSUE_ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024


def issue_attachments_max_bytes() -> int:
    # Every subscriber's mail carries the files: keep the total under what relays accept.
    return int(
        getattr(
            settings,
            "SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES",
            DEFAULT_ISSUE_ATTACHMENTS_MAX_BYTES,
        )
    )


def issue_send(
    *,
    newsletter: NewsletterList,
    actor: User,
    subject: str,
    body: str,
    download: Download | None = None,
    attachments: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> NewsletterIssue:
    """Send an issue to the list's active subscribers of this moment, with ``attachments``
    attached to every mail. Side effects: stores the files (``IssueAttachment``); creates the
    issue and one pending delivery per subscriber; the worker queue ``company.newsletter``
    turns them into outbox mail at NEWSLETTER_PER_MINUTE; records the issue in the audit log
    (list, subject, how many recipients, the attachments' names) in the same transaction."""
    _issue_check(actor=actor, subject=subject, attachments=attachments)
    now = now or timezone.now()
    with transaction.atomic():
        issue = NewsletterIssue.objects.create(
            newsletter=newsletter,
            subject=subject.strip(),
            body=body,
            download=download,
            sent_by=actor,
        )
        _issue_attachments_store(issue, attachments)
        recipients = _issue_deliveries_create(issue, now=now)
        audit.record(
            actor=actor,
            action=Action.NEWSLETTER_SENT,
            obj=issue,
            after={
                "newsletter": newsletter,
                "subject": issue.subject,
                "recipients": recipients,
                "attachments": [file.name for file in attachments],
                "download": download,
            },
        )
    return issue


def _issue_check(*, actor: User, subject: str, attachments: Sequence[UploadedFile]) -> None:
    """Refuse an issue that is not the support team's, has no subject, or whose attachments
    add up to more than the limit."""
    if not selectors.is_support(actor):
        raise PermissionRefused(_("Only the support team sends newsletters."))
    if not subject.strip():
        raise InvalidInput(_("An issue needs a subject."), field="subject")
    limit = issue_attachments_max_bytes()
    if sum(file.size or 0 for file in attachments) > limit:
        raise InvalidInput(
            _("The attachments may add up to at most %(size)s.") % {"size": file_size(limit)},
            field="attachments",
        )


def _issue_attachments_store(issue: NewsletterIssue, attachments: Sequence[UploadedFile]) -> None:
    """Store each uploaded file as an ``IssueAttachment`` of the issue (the name without any
    path; the type as sent, else guessed from the name)."""
    for file in attachments:
        name = (file.name or "").rsplit("/", 1)[-1]
        attachment = IssueAttachment(
            issue=issue,
            name=name,
            content_type=file.content_type
            or mimetypes.guess_type(name)[0]
            or "application/octet-stream",
            size=file.size or 0,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()


def _issue_deliveries_create(issue: NewsletterIssue, *, now: dt.datetime) -> int:
    """One pending delivery, due ``now``, per subscriber of this moment: an active contact
    with an address, of an active company. Returns how many."""
    subscribers = (
        Subscription.objects.filter(
            newsletter=issue.newsletter,
            contact__is_active=True,
            contact__organization__is_active=True,
        )
        .exclude(contact__email="")
        .values_list("contact_id", "contact__email")
    )
    created = NewsletterDelivery.objects.bulk_create(
        [
            NewsletterDelivery(issue=issue, contact_id=cid, email=email, next_attempt_at=now)
            for cid, email in subscribers
        ]
    )
    return len(created)


SUPPORT_LINE_FIELDS = (
    "default_language",
    "default_time_zone",
    "team_name",
    "support_email",
    "portal_url",
    "phone",
    "working_hours",
    "emergency_phone",
    "emergency_note",
)


_TYPED_IN_EACH_LANGUAGE = {"team_name", "working_hours", "emergency_note"}


def support_line_is_set() -> bool:
    """Whether an administrator has told how customers reach support (the mail footer)."""
    from supportal.notifications.models import NotificationSettings

    channels = NotificationSettings.objects.filter(pk=1).first()
    return channels is not None and bool(channels.support_email or channels.phone)


def support_line_setup(*, actor: User, **fields: str) -> None:
    """The first-visit questions of a fresh install (docs/languages.md): the site's language and
    time zone, and the support line every mail and portal page shows. Administrators only.
    Raises ``InvalidInput`` for a bad value; side effects: the three settings rows."""
    from supportal.accounts.models import PortalSettings
    from supportal.notifications.models import NotificationSettings

    if not actor.is_superuser:
        raise PermissionRefused(_("Only administrators set up the support line."))
    site = PortalSettings.load()
    channels = NotificationSettings.load()
    line = SupportLine.objects.filter(pk=1).first() or SupportLine(pk=1)
    targets = {
        "default_language": site,
        "default_time_zone": site,
        "emergency_phone": line,
        "emergency_note": line,
    }
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=Action.SETTINGS_CHANGED,
            obj=line,
            after={name: fields[name] for name in SUPPORT_LINE_FIELDS if name in fields},
        )
        for name in SUPPORT_LINE_FIELDS:
            if name not in fields:
                continue
            row = targets.get(name, channels)
            field = row._meta.get_field(name)
            assert isinstance(field, Field), name  # a column of the row, never a relation
            try:
                value = field.clean((fields[name] or "").strip(), row)
            except ValidationError as exc:
                raise InvalidInput(exc.messages[0], field=name) from None
            if name in _TYPED_IN_EACH_LANGUAGE:
                # Typed here in the site's language; the others are the admin's (their
                # readers fall back to this one meanwhile: docs/languages.md#names).
                name = f"{name}_{site.default_language or settings.LANGUAGE_CODE}"
            setattr(row, name, value)
        site.save()
        channels.save()
        line.save()
