"""Agents' choices and administrators' wording of the mails."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts.models import User
from supportal.audit import services as audit_services
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, PermissionRefused
from supportal.notifications.models import (
    AgentNotificationPreference,
    NotificationTemplate,
)

AGENT_PREFERENCE_FIELDS = (
    "has_new_ticket_mail",
    "has_customer_answer_mail",
    "has_assignment_mail",
    "has_third_party_answer_mail",
    "has_sla_warning_mail",
    "has_cancellation_mail",
)


def agent_preference_set(*, user: User, **choices: bool) -> AgentNotificationPreference:
    """Turn each of the agent mails on or off for ``user`` (agents only).

    Side effects: creates or updates the user's AgentNotificationPreference row; an audit entry
    with the choices changed (before and after)."""
    if not (user.is_agent or user.is_superuser):
        raise PermissionRefused(_("Only the support team receives these e-mails."))
    unknown = set(choices) - set(AGENT_PREFERENCE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown choice."), field=",".join(sorted(unknown)))
    with transaction.atomic():
        old = AgentNotificationPreference.objects.filter(user=user).first()
        before = audit_services.snapshot(old or AgentNotificationPreference(user=user), choices)
        preference, _created = AgentNotificationPreference.objects.update_or_create(
            user=user, defaults={name: bool(value) for name, value in choices.items()}
        )
        after = audit_services.snapshot(preference, choices)
        before, after = audit_services.changed_only(before, after)
        if after:
            audit.record(
                actor=user,
                action=Action.NOTIFICATION_PREFERENCES_CHANGED,
                obj=user,
                before=before,
                after=after,
            )
    return preference


def notification_template_save(
    *, actor: User, template: str, language: str, subject: str, body_text: str, body_html: str
) -> NotificationTemplate | None:
    """Store an administrator's wording of one mail in one language (superusers only).

    Raises InvalidInput, with the compiler's message, when a part does not compile or the HTML
    turns autoescaping off; nothing is saved then. All parts empty: the override is removed and
    the files apply again (returns None). Side effects: creates, updates or deletes the row;
    an audit entry with the wording before and after.
    """
    from django.core.exceptions import ValidationError

    from supportal.notifications.models import EDITABLE_TEMPLATES
    from supportal.notifications.rendering import template_check

    if not actor.is_superuser:
        raise PermissionRefused(_("Only administrators edit the notification e-mails."))
    if template not in dict(EDITABLE_TEMPLATES) or language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unknown e-mail or language."), field="template")
    parts = {"subject": subject, "body_text": body_text, "body_html": body_html}
    try:
        template_check(parts)
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=field_name) from exc
    with transaction.atomic():
        old = NotificationTemplate.objects.filter(template=template, language=language).first()
        before = {name: getattr(old, name) for name in parts} if old is not None else None
        if not any(value.strip() for value in parts.values()):
            if old is not None:
                audit.record(actor=actor, action=Action.TEMPLATE_CHANGED, obj=old, before=before)
                old.delete()
            return None
        row, _created = NotificationTemplate.objects.update_or_create(
            template=template, language=language, defaults={**parts, "updated_by": actor}
        )
        audit.record(
            actor=actor, action=Action.TEMPLATE_CHANGED, obj=row, before=before, after=parts
        )
    return row
