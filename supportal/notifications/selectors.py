"""Reads for the notification pages, permission built in."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.notifications.models import (
    EDITABLE_TEMPLATES,
    AgentNotificationPreference,
    NotificationTemplate,
    SuppressedAddress,
)
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import is_support_for, ticket_queryset_for_user


def mute_token_read(token: str) -> tuple[Ticket, User]:
    """The request and person a "don't notify me" token names. A tampered token, or one whose
    person may no longer see the request, is NotFound."""
    from supportal.notifications.services import MUTE_SALT

    try:
        ticket_id, user_id = signing.Signer(salt=MUTE_SALT).unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        raise NotFound(_("This link is not valid.")) from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    ticket = None
    if user is not None:
        ticket = ticket_queryset_for_user(user).select_related("desk").filter(pk=ticket_id).first()
    if ticket is None or user is None:
        raise NotFound(_("This link is not valid."))
    return ticket, user


def agent_preference_get(user: User) -> AgentNotificationPreference:
    """The agent's choices; an unsaved all-on row when they never chose."""
    return AgentNotificationPreference.objects.filter(
        user=user
    ).first() or AgentNotificationPreference(user=user)


def held_email_list_for_ticket(user: User, ticket: Ticket) -> list[tuple[OutboundEmail, str]]:
    """Held mails of this request with the reason, for its desk's agents; nothing for others.

    Two queries, whatever the number of mails."""
    if not is_support_for(user, ticket):
        return []
    held = list(
        OutboundEmail.objects.filter(ticket=ticket, state=OutboundState.HELD).order_by("-pk")[:20]
    )
    addresses = {address for email in held for address in email.to}
    reasons = (
        {row.email: row for row in SuppressedAddress.objects.filter(email__in=addresses)}
        if addresses
        else {}
    )
    result = []
    for email in held:
        row = next((reasons[a] for a in email.to if a in reasons), None)
        why = (
            f"{row.get_reason_display()}{': ' + row.detail if row.detail else ''}"
            if row
            else email.last_error
        )
        result.append((email, why))
    return result


def outbox_list_for_user(user: User, *, state: str = "") -> QuerySet[OutboundEmail]:
    """Every outgoing mail, newest first: administrators only (the local mail catcher)."""
    if not (user.is_authenticated and user.is_superuser):
        raise NotFound()
    emails = OutboundEmail.objects.select_related("ticket").order_by("-created_at", "-pk")
    if state in OutboundState.values:
        emails = emails.filter(state=state)
    return emails


def outbox_get_for_user(user: User, email_id: int) -> OutboundEmail:
    email = outbox_list_for_user(user).filter(pk=email_id).first()
    if email is None:
        raise NotFound()
    return email


def notification_template_list_for_user(user: User) -> list[dict[str, object]]:
    """Every editable mail with, per language, whether an administrator changed it.
    Superusers only (NotFound otherwise)."""
    if not user.is_superuser:
        raise NotFound()
    changed = set(NotificationTemplate.objects.values_list("template", "language"))
    return [
        {
            "template": name,
            "label": label,
            "languages": [
                (code, language_label, (name, code) in changed)
                for code, language_label in settings.LANGUAGES
            ],
        }
        for name, label in EDITABLE_TEMPLATES
    ]


def notification_template_get_for_user(
    user: User, template: str, language: str
) -> tuple[dict[str, str], NotificationTemplate | None]:
    """The wording to edit (the override's, else the files') and the override, if any.
    Superusers only; unknown mails and languages are NotFound."""
    from supportal.notifications.rendering import file_sources

    if not user.is_superuser:
        raise NotFound()
    if template not in dict(EDITABLE_TEMPLATES) or language not in dict(settings.LANGUAGES):
        raise NotFound()
    override = NotificationTemplate.objects.filter(template=template, language=language).first()
    sources = file_sources(template)
    if override is not None:
        for part in sources:
            value = getattr(override, part)
            if value.strip():
                sources[part] = value
    return sources, override
