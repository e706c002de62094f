"""Quarantined mail: who may see it, and an agent's decision on it.

A quarantined message belongs to the desk whose mailbox received it (``outcome["desk"]``,
recorded by processing). Agents of that desk see and decide it in the workspace; superusers
see all, also messages that no desk received. The Django admin's actions call the same service.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from supportal import audit
from supportal.accounts.models import User
from supportal.audit.models import Action
from supportal.core.errors import InvalidInput, NotFound
from supportal.desks.models import Desk, DeskMembership
from supportal.mail.content import mail_parse
from supportal.mail.inbound import inbound_discard, inbound_process_one
from supportal.mail.models import DiscardedSender, InboundMessage, InboundState
from supportal.tickets.selectors import ticket_queryset_for_user

ATTACH = "attach"
NEW_REQUEST = "new"
DISCARD = "discard"
DECISIONS = (ATTACH, NEW_REQUEST, DISCARD)


def quarantine_list_for_user(user: User) -> QuerySet[InboundMessage]:
    """Quarantined messages ``user`` may decide, newest first, without their raw bytes."""
    messages = InboundMessage.objects.filter(state=InboundState.QUARANTINED).defer("raw")
    if not (user.is_authenticated and user.is_active):
        return messages.none()
    if user.is_superuser:
        return messages
    if not user.is_agent:
        return messages.none()
    # One query: the desk key inside the JSON outcome against the agent's desks as a subquery.
    desk_keys = DeskMembership.objects.filter(user=user, desk__is_active=True).values("desk__key")
    return messages.annotate(desk_key=KeyTextTransform("desk", "outcome")).filter(
        desk_key__in=desk_keys
    )


def quarantine_get_for_user(user: User, pk: int) -> InboundMessage:
    """One quarantined message ``user`` may decide; ``NotFound`` otherwise (also for another
    desk's message, so that its existence is not told)."""
    message = quarantine_list_for_user(user).defer(None).filter(pk=pk).first()
    if message is None:
        raise NotFound(_("There is no such quarantined message."))
    return message


def quarantine_text(message: InboundMessage) -> str:
    """The message's text as processing reads it (HTML turned into plain text). Pure; the
    caller must escape it when rendering."""
    return mail_parse(bytes(message.raw)).text


def inbound_decide(
    *, message: InboundMessage, decision: str, actor: User, now: datetime | None = None
) -> InboundMessage:
    """An agent's or administrator's decision on a quarantined message: ``attach`` it to the
    request it names (an internal note when the sender may not see that request), make a
    ``new`` request of it, or ``discard`` it (kept, marked ignored; also for a failed message).

    Attaching needs the actor to see the named request, unless they may decide any received
    mail (the ``mail.change_inboundmessage`` permission of the admin). Returns the row as it
    ends. Side effects: those of processing (a request, a comment or note, an invitation, mail)
    or, for ``discard``, the row's state and outcome. Raises ``InvalidInput`` for an unknown
    decision or a message in another state, ``NotFound`` for a request the actor may not see.
    """
    if decision not in DECISIONS:
        raise InvalidInput(_("Unknown decision."), field="decision")
    allowed_states = {InboundState.QUARANTINED}
    if decision == DISCARD:
        allowed_states.add(InboundState.FAILED)
    if message.state not in allowed_states:
        raise InvalidInput(_("This message is no longer waiting for a decision."))
    if decision == DISCARD:
        with transaction.atomic():
            inbound_discard(message, reason=f"discarded by {actor}")
            _decision_audit(actor, message, decision)
        return InboundMessage.objects.get(pk=message.pk)
    reference = (message.outcome or {}).get("reference", "")
    if (
        decision == ATTACH
        and reference
        and not actor.has_perm("mail.change_inboundmessage")
        and not ticket_queryset_for_user(actor).filter(reference=reference).exists()
    ):
        raise NotFound(_("There is no such request."))
    result = inbound_process_one(message.pk, decision=decision, now=now)
    _decision_audit(actor, result, decision)
    return result


def _decision_audit(actor: User, message: InboundMessage, decision: str) -> None:
    outcome = message.outcome or {}
    audit.record(
        actor=actor,
        action=Action.QUARANTINE_DECIDED,
        obj=message,
        after={
            "decision": decision,
            "sender": outcome.get("sender", ""),
            "subject": outcome.get("subject", ""),
            "state": message.state,
        },
    )


def sender_discard_always(*, message: InboundMessage, actor: User) -> tuple[DiscardedSender, int]:
    """The rule "always discard from this sender" for the desk that received ``message`` (the
    inbox ignores that address's mail to the desk from then on), and every quarantined message
    from that sender to that desk ``actor`` may decide — this one included — discarded now.
    Returns the rule and how many messages were discarded. Raises ``InvalidInput`` when the
    message names no sender or no desk received it."""
    outcome = message.outcome or {}
    address = str(outcome.get("sender", "")).strip().lower()
    desk = Desk.objects.filter(key=outcome.get("desk") or "").first()
    if not address or desk is None:
        raise InvalidInput(
            _("Only mail with a sender, received by a desk, can have its sender always discarded.")
        )
    with transaction.atomic():
        rule, _created = DiscardedSender.objects.get_or_create(
            desk=desk, address=address, defaults={"created_by": actor}
        )
        waiting = quarantine_list_for_user(actor).filter(
            outcome__sender__iexact=address, outcome__desk=desk.key
        )
        done = 0
        for row in waiting:
            inbound_discard(row, reason=f"{address} always discarded by {actor}")
            done += 1
        audit.record(
            actor=actor,
            action=Action.QUARANTINE_DECIDED,
            obj=rule,
            after={"decision": "always_discard", "sender": address, "discarded": done},
        )
    return rule, done


def discarded_senders_for_user(user: User) -> QuerySet[DiscardedSender]:
    """The "always discard" rules of the desks ``user`` works (every desk: superusers)."""
    rules = DiscardedSender.objects.select_related("desk", "created_by")
    if not (user.is_authenticated and user.is_active):
        return rules.none()
    if user.is_superuser:
        return rules
    if not user.is_agent:
        return rules.none()
    return rules.filter(desk__memberships__user=user, desk__is_active=True)


def sender_discard_remove(*, rule_id: int, actor: User) -> DiscardedSender:
    """Take a rule away: that sender's mail to the desk is processed again as any other.
    ``NotFound`` for a rule of a desk ``actor`` does not work."""
    rule = discarded_senders_for_user(actor).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("There is no such rule."))
    DiscardedSender.objects.filter(pk=rule.pk).delete()
    return rule
