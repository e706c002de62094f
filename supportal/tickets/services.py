"""The only code that changes a ticket.

Portal, workspace, API, inbound mail and management commands all call these functions. Each one
runs in a transaction, checks permission and the workflow table, writes an Event row for every
change, and schedules its side effects after commit. Refusals are DomainErrors whose message can
be shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.accounts.services import user_language_learn
from supportal.core.errors import InvalidInput, NotFound, PermissionRefused, TransitionRefused
from supportal.core.formats import file_size
from supportal.desks.models import (
    CustomerReplyStatus,
    CustomField,
    CustomFieldKind,
    Desk,
    Priority,
    Product,
    RequestType,
)
from supportal.search.index import ticket_index_update
from supportal.tickets import workflow
from supportal.tickets.models import (
    DETAILS_MAX_LENGTH,
    Attachment,
    Comment,
    Event,
    EventKind,
    Feedback,
    NotificationMute,
    Participant,
    Quote,
    QuoteState,
    SubmissionMethod,
    Ticket,
)
from supportal.tickets.selectors import (
    priority_queryset_allowed,
    ticket_queryset_for_user,
    ticket_roles,
)
from supportal.tickets.workflow import Action, Role, Status, WaitingReason


@dataclass(frozen=True)
class NewAttachment:
    """A file to attach, from an upload form, an e-mail part or a test."""

    file: UploadedFile
    name: str = ""


def attachments_check(*, desk: Desk, files: Iterable[NewAttachment]) -> None:
    """Refuse a file over the desk's size or file-name limit, naming the limit and where large
    files go (seed 003). Changes nothing; interfaces call it before ``ticket_create`` or
    ``ticket_comment_add`` so the customer learns why."""
    hint = desk.large_files_hint or _("Ask the support team how to send larger files.")
    for item in files:
        name = (item.name or item.file.name or "").rsplit("/", 1)[-1]
        if len(name) > desk.attachment_name_max_length:
            raise InvalidInput(
                _(
                    "The file name “%(name)s” has %(count)d characters; file names are limited "
                    "to %(limit)d. Please rename the file."
                )
                % {"name": name, "count": len(name), "limit": desk.attachment_name_max_length},
                field="attachments",
            )
        if (item.file.size or 0) > desk.attachment_max_bytes:
            raise InvalidInput(
                _("“%(name)s” is %(size)s; files are limited to %(limit)s. %(hint)s")
                % {
                    "name": name,
                    "size": file_size(item.file.size),
                    "limit": file_size(desk.attachment_max_bytes),
                    "hint": hint,
                },
                field="attachments",
            )


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _event(
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: User | None,
    at: dt.datetime,
    comment: Comment | None = None,
    is_public: bool = True,
    **data: object,
) -> Event:
    event = Event.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        comment=comment,
        is_public=is_public,
        data=data,
        created_at=at,
    )
    # Imported here: the SLA engine reads tickets' models, and every event must reach it in
    # the same transaction.
    from supportal.notifications.services import notification_event_record
    from supportal.sla.services import sla_event_record

    sla_event_record(event)
    notification_event_record(event)
    return event


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock: two agents acting at once are applied in turn."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("desk", "requester", "organization")
        .get(pk=ticket.pk)
    )


def _roles_of(actor: User | None, ticket: Ticket) -> frozenset[Role]:
    """The actor's workflow roles; to someone who may not see the ticket it does not exist."""
    roles = ticket_roles(actor, ticket)
    if not roles:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": ticket.reference})
    return roles


def _touch(ticket: Ticket, at: dt.datetime, *fields: str) -> None:
    ticket.updated_at = at
    ticket.save(update_fields=[*fields, "updated_at"])


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("%(label)s is limited to %(limit)d characters; it has %(count)d.")
            % {"label": label, "limit": max_length, "count": len(value)},
            field=field,
        )
    return value


def custom_fields_clean(
    *, desk: Desk, request_type: RequestType | None, values: dict[str, object]
) -> dict[str, object]:
    """Check values against the desk's custom fields for this type; unknown keys are refused."""
    fields = {
        field.name: field
        for field in CustomField.objects.filter(desk=desk)
        if field.request_type_id in (None, getattr(request_type, "pk", None))
    }
    unknown = set(values) - set(fields)
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            field="custom_fields",
        )
    cleaned: dict[str, object] = {}
    for name, field in fields.items():
        value = values.get(name)
        if value in (None, ""):
            if field.is_required:
                raise InvalidInput(_("%(label)s is required.") % {"label": field.label}, field=name)
            continue
        cleaned[name] = _custom_value(field, value)
    return cleaned


def _custom_value(field: CustomField, value: object) -> object:
    text = str(value).strip()
    if field.kind == CustomFieldKind.NUMBER:
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            raise InvalidInput(
                _("%(label)s must be a number.") % {"label": field.label}, field=field.name
            )
        return str(number)
    if field.kind == CustomFieldKind.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidInput(
                _("%(label)s must be a date (YYYY-MM-DD).") % {"label": field.label},
                field=field.name,
            ) from None
    if field.kind == CustomFieldKind.CHOICE and text not in [str(c) for c in field.choices]:
        raise InvalidInput(
            _("%(label)s: choose one of the offered values.") % {"label": field.label},
            field=field.name,
        )
    if len(text) > 500:
        raise InvalidInput(
            _("%(label)s is limited to 500 characters.") % {"label": field.label},
            field=field.name,
        )
    return text


def _next_number(desk: Desk) -> int:
    # The UPDATE takes the desk row's write lock until commit (PostgreSQL) or the database's
    # (SQLite, BEGIN IMMEDIATE), so concurrent creations queue here; a rolled-back creation
    # rolls its number back too, which keeps the sequence gapless.
    Desk.objects.filter(pk=desk.pk).update(last_ticket_number=F("last_ticket_number") + 1)
    return Desk.objects.filter(pk=desk.pk).values_list("last_ticket_number", flat=True).get()


def _attachments_add(
    ticket: Ticket,
    files: Iterable[NewAttachment],
    *,
    uploaded_by: User | None,
    comment: Comment | None,
    is_internal: bool,
    at: dt.datetime,
) -> list[Attachment]:
    added = []
    for item in files:
        name = (item.name or item.file.name or "attachment").rsplit("/", 1)[-1][:255]
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            uploaded_by=uploaded_by,
            file_name=name,
            content_type=getattr(item.file, "content_type", "") or "",
            size=item.file.size or 0,
            is_internal=is_internal,
            created_at=at,
        )
        attachment.file.save(name, item.file, save=False)
        attachment.save()
        added.append(attachment)
        _event(
            ticket,
            EventKind.ATTACHMENT_ADDED,
            actor=uploaded_by,
            at=at,
            comment=comment,
            is_public=not is_internal,
            attachment_id=attachment.pk,
            file_name=name,
        )
    return added


def ticket_create(
    *,
    desk: Desk,
    requester: User,
    actor: User,
    summary: str,
    details: str = "",
    submission_method: SubmissionMethod = SubmissionMethod.PORTAL,
    product: Product | None = None,
    request_type: RequestType | None = None,
    priority: Priority | None = None,
    contact_phone: str = "",
    contact_email: str = "",
    participants: Sequence[User] = (),
    custom_fields: dict[str, object] | None = None,
    attachments: Sequence[NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """Register a request: a customer for themself, an agent for a customer (phone, e-mail).

    Side effects: a CREATED event (notifications read it), the search index, stored files.
    """
    at = _now(now)
    is_agent_acting = actor.is_agent or actor.is_superuser
    if not is_agent_acting and actor.pk != requester.pk:
        raise PermissionRefused(_("Customers open requests only for themselves."))
    if (
        is_agent_acting
        and not actor.is_superuser
        and not desk.memberships.filter(user=actor).exists()
    ):
        raise PermissionRefused(_("You are not a member of the desk %(key)s.") % {"key": desk.key})
    if not desk.is_active:
        raise InvalidInput(_("This desk does not accept new requests."), field="desk")
    if requester.is_company_account and not contact_email.strip():
        raise InvalidInput(
            _("Requests from a company account must name a contact e-mail."),
            field="contact_email",
        )
    summary = _clean_text(
        summary,
        field="summary",
        label=_("Summary"),
        max_length=desk.summary_max_length,
        required=True,
    )
    if "\n" in summary or "\r" in summary:
        summary = " ".join(summary.split())
    details = _clean_text(
        details, field="details", label=_("Details"), max_length=DETAILS_MAX_LENGTH, required=False
    )
    if request_type is not None and request_type.desk_id != desk.pk:
        raise InvalidInput(_("This request type belongs to another desk."), field="request_type")
    if not is_agent_acting:
        _customer_choices_check(desk=desk, requester=requester, product=product, priority=priority)
    cleaned_fields = custom_fields_clean(
        desk=desk, request_type=request_type, values=dict(custom_fields or {})
    )
    with transaction.atomic():
        number = _next_number(desk)
        ticket = Ticket.objects.create(
            desk=desk,
            number=number,
            reference=f"{desk.key}-{number}",
            summary=summary,
            details=details,
            product=product,
            request_type=request_type,
            priority=priority,
            requester=requester,
            organization_id=requester.organization_id,
            status=Status.WAITING_FOR_SUPPORT,
            submission_method=submission_method,
            contact_phone=contact_phone.strip(),
            contact_email=contact_email.strip().lower(),
            custom_fields=cleaned_fields,
            created_at=at,
            updated_at=at,
        )
        _event(
            ticket,
            EventKind.CREATED,
            actor=actor,
            at=at,
            status=Status.WAITING_FOR_SUPPORT,
            submission_method=submission_method,
        )
        for person in participants:
            if person.pk != requester.pk:
                _participant_add(ticket, person, actor=actor, at=at)
        _attachments_add(
            ticket,
            attachments,
            uploaded_by=actor,
            comment=None,
            is_internal=False,
            at=at,
        )
        if requester.is_customer and not requester.is_company_account:
            # What they wrote tells the language to write back in (docs/languages.md).
            user_language_learn(user=requester, text=f"{summary}\n{details}")
        ticket_index_update(ticket.pk)
    return ticket


def _customer_choices_check(
    *, desk: Desk, requester: User, product: Product | None, priority: Priority | None
) -> None:
    """A customer files under the desk's products and the priorities their contract allows."""
    if product is not None and not desk.products.filter(pk=product.pk).exists():
        raise InvalidInput(_("This product is not supported by this desk."), field="product")
    allowed = priority_queryset_allowed(requester, product=product)
    if priority is not None and not allowed.filter(pk=priority.pk).exists():
        raise InvalidInput(
            _("Your company's contract does not include the priority %(name)s.")
            % {"name": priority.name},
            field="priority",
        )


# Everything a status change may touch, saved together in one UPDATE.
_STATUS_FIELDS = (
    "status",
    "assignee",
    "resolved_at",
    "auto_close_at",
    "closed_at",
    "waiting_reason",
    "waiting_on",
    "resolution",
)


def _apply_status(
    ticket: Ticket,
    target: Status,
    *,
    actor: User | None,
    at: dt.datetime,
    action: Action,
    comment: Comment | None,
    **data: object,
) -> None:
    previous = Status(ticket.status)
    ticket.status = target
    if target == Status.RESOLVED:
        ticket.resolved_at = at
        ticket.auto_close_at = at + dt.timedelta(days=ticket.desk.auto_close_days)
    elif previous == Status.RESOLVED:
        ticket.auto_close_at = None
        if target in workflow.OPEN_STATUSES:  # reopened by the customer's answer
            ticket.resolved_at = None
            ticket.resolution = ""
    if target in workflow.FINAL_STATUSES:
        ticket.closed_at = at
    if target != Status.WAITING_FOR_CUSTOMER:
        ticket.waiting_reason = ""
    if target != Status.WAITING_FOR_THIRD_PARTY:
        ticket.waiting_on = ""
    _touch(ticket, at, *_STATUS_FIELDS)
    _event(
        ticket,
        EventKind.STATUS_CHANGED,
        actor=actor,
        at=at,
        # The status change is public; an internal note stays on its own internal event.
        comment=comment if comment is not None and comment.is_public else None,
        action=str(action),
        from_status=previous,
        to_status=target,
        **data,
    )


def ticket_transition(
    *,
    ticket: Ticket,
    actor: User | None,
    action: Action,
    comment: str = "",
    reason: WaitingReason | str = "",
    third_party: str = "",
    resolution: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Move a ticket through the workflow table. ``actor=None`` is the system (auto-close).

    Request info needs a public comment (and a reason); waiting for a third party needs a note
    saying whom; resolve needs a resolution text. Side effects: STATUS_CHANGED (and COMMENTED)
    events, the search index when text was added.
    """
    at = _now(now)
    action = Action(action)
    if action == Action.CUSTOMER_REPLY:
        # A customer's answer is a comment: ticket_comment_add applies that row of the table.
        raise InvalidInput(_("A customer answers with a comment."), field="comment")
    with transaction.atomic():
        ticket = _lock(ticket)
        status = Status(ticket.status)
        # Before the table: a refusal must not tell a stranger the ticket's status.
        roles = _roles_of(actor, ticket)
        transition = workflow.find_transition(action, status)
        if transition is None or transition.target is None:
            # One sentence for every action: word order and agreement differ per language, so
            # an action's name is not spliced into a sentence.
            raise TransitionRefused(
                _("This is not possible while the request is “%(status)s”.")
                % {"status": status.label}
            )
        if not transition.roles & roles:
            raise PermissionRefused(_("You may not do this on this request."))
        comment_text = (comment or "").strip()
        saved_comment = None
        data: dict[str, object] = {}
        if transition.needs_public_comment:
            if not comment_text:
                raise InvalidInput(
                    _("Write what you need from the customer: the comment is sent to them."),
                    field="comment",
                )
            ticket.waiting_reason = reason or WaitingReason.INFORMATION_NEEDED
            if ticket.waiting_reason not in WaitingReason.values:
                raise InvalidInput(_("Unknown waiting reason."), field="reason")
            data["reason"] = ticket.waiting_reason
        if transition.needs_note:
            third_party = (third_party or "").strip()
            if not third_party:
                raise InvalidInput(
                    _("Say which third party the request waits for."), field="third_party"
                )
            ticket.waiting_on = third_party[:200]
            # Not in the event's data: the status event is public, and whom we wait for
            # (a partner, another department) is the support team's business.
        if transition.needs_resolution:
            resolution = (resolution or "").strip()
            if not resolution:
                raise InvalidInput(
                    _("Write the resolution: the customer reads it."), field="resolution"
                )
        if action == Action.CUSTOMER_RESOLVE:
            resolution = comment_text or resolution
        if resolution:
            ticket.resolution = resolution
            data["resolution"] = resolution
        if action == Action.TAKE:
            ticket.assignee = actor
            _event(ticket, EventKind.ASSIGNED, actor=actor, at=at, assignee_id=actor.pk)
        if comment_text and action != Action.CUSTOMER_RESOLVE:
            is_public = action != Action.WAIT_FOR_THIRD_PARTY
            saved_comment = Comment.objects.create(
                ticket=ticket, author=actor, body=comment_text, is_public=is_public, created_at=at
            )
            _event(
                ticket,
                EventKind.COMMENTED,
                actor=actor,
                at=at,
                comment=saved_comment,
                is_public=is_public,
            )
        target = transition.target
        if target == workflow.CUSTOMER_REPLY_TARGET:
            target = _customer_reply_target(ticket, status)
        _apply_status(
            ticket, Status(target), actor=actor, at=at, action=action, comment=saved_comment, **data
        )
        if target == Status.RESOLVED and ticket.desk.auto_close_days == 0:
            _apply_status(
                ticket, Status.CLOSED, actor=None, at=at, action=Action.CLOSE, comment=None
            )
        if comment_text or resolution:
            ticket_index_update(ticket.pk)
    return ticket


def _customer_reply_target(ticket: Ticket, status: Status) -> Status:
    return workflow.customer_reply_target(
        status,
        has_assignee=ticket.assignee_id is not None,
        goes_to_in_progress_when_assigned=(
            ticket.desk.customer_reply_status == CustomerReplyStatus.IN_PROGRESS_IF_ASSIGNED
        ),
    )


def ticket_comment_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    is_public: bool = True,
    via: SubmissionMethod = SubmissionMethod.PORTAL,
    attachments: Sequence[NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Comment:
    """Add a comment (agents: public reply or internal note; customers: always public).

    A customer's comment on a ticket waiting for them, or on a resolved one, sends it back to
    support (the workflow's customer reply). Customers cannot comment on closed or cancelled
    tickets; agents may still add internal notes there. Side effects: COMMENTED (and maybe
    STATUS_CHANGED) events, stored files, the search index.
    """
    at = _now(now)
    body = _clean_text(
        body, field="body", label=_("Comment"), max_length=DETAILS_MAX_LENGTH * 4, required=False
    )
    if not body and not attachments:
        raise InvalidInput(_("Write a comment or attach a file."), field="body")
    with transaction.atomic():
        ticket = _lock(ticket)
        status = Status(ticket.status)
        roles = ticket_roles(author, ticket)
        is_support = bool({Role.AGENT, Role.TEAM_LEAD} & roles)
        is_customer = bool({Role.REQUESTER, Role.PARTICIPANT} & roles)
        if not is_support and not is_customer:
            raise NotFound(
                _("There is no request %(reference)s.") % {"reference": ticket.reference}
            )
        if not is_support:
            is_public = True
            if not workflow.can_customer_comment(status):
                raise TransitionRefused(
                    _(
                        "This request is %(status)s and can no longer be updated. "
                        "Please open a new request."
                    )
                    % {"status": status.label.lower()}
                )
        elif is_public and status in workflow.FINAL_STATUSES:
            raise TransitionRefused(
                _("This request is %(status)s: only internal notes can be added.")
                % {"status": status.label.lower()}
            )
        comment = Comment.objects.create(
            ticket=ticket, author=author, body=body, is_public=is_public, via=via, created_at=at
        )
        _event(
            ticket, EventKind.COMMENTED, actor=author, at=at, comment=comment, is_public=is_public
        )
        _attachments_add(
            ticket,
            attachments,
            uploaded_by=author,
            comment=comment,
            is_internal=not is_public,
            at=at,
        )
        transition = workflow.find_transition(Action.CUSTOMER_REPLY, status)
        if not is_support and transition is not None and transition.target is not None:
            target = _customer_reply_target(ticket, status)
            _apply_status(
                ticket, target, actor=author, at=at, action=Action.CUSTOMER_REPLY, comment=comment
            )
        else:
            _touch(ticket, at)
        ticket_index_update(ticket.pk)
    return comment


def ticket_mail_note_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    attachments: Sequence[NewAttachment] = (),
    now: dt.datetime | None = None,
) -> Comment:
    """Keep what inbound mail brought as an internal note, in any status (also closed or
    cancelled: such mail must not reopen the request, yet must not be lost).

    ``author`` is the sender when known (a customer may be the author of this note), or None
    for the system (bounces, the original message). Changes no status. Side effects: an
    internal COMMENTED event, internal attachments, the search index.
    """
    at = _now(now)
    body = _clean_text(
        body, field="body", label=_("Comment"), max_length=DETAILS_MAX_LENGTH * 4, required=False
    )
    if not body and not attachments:
        raise InvalidInput(_("Write a comment or attach a file."), field="body")
    with transaction.atomic():
        ticket = _lock(ticket)
        comment = Comment.objects.create(
            ticket=ticket,
            author=author,
            body=body,
            is_public=False,
            via=SubmissionMethod.EMAIL,
            created_at=at,
        )
        _event(ticket, EventKind.COMMENTED, actor=author, at=at, comment=comment, is_public=False)
        _attachments_add(
            ticket, attachments, uploaded_by=author, comment=comment, is_internal=True, at=at
        )
        _touch(ticket, at)
        ticket_index_update(ticket.pk)
    return comment


def _require_support(actor: User, ticket: Ticket) -> frozenset[Role]:
    roles = _roles_of(actor, ticket)
    if not {Role.AGENT, Role.TEAM_LEAD} & roles:
        raise PermissionRefused(_("Only the desk's agents can do this."))
    return roles


def ticket_assign(
    *, ticket: Ticket, actor: User, assignee: User | None, now: dt.datetime | None = None
) -> Ticket:
    """Give the ticket to an agent of its desk (or to nobody). Team leads assign anyone; an
    agent assigns only themself. The status does not change. Side effect: an ASSIGNED event."""
    at = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        roles = _roles_of(actor, ticket)
        to_self = assignee is not None and assignee.pk == actor.pk
        if not workflow.can_assign(roles, to_self=to_self, status=Status(ticket.status)):
            if ticket.status not in workflow.OPEN_STATUSES:
                raise TransitionRefused(_("Only open requests can be assigned."))
            raise PermissionRefused(_("Only a team lead can assign requests to someone else."))
        if assignee is not None and not {Role.AGENT, Role.TEAM_LEAD} & ticket_roles(
            assignee, ticket
        ):
            raise InvalidInput(
                _("%(name)s is not an agent of this desk.") % {"name": assignee}, field="assignee"
            )
        if ticket.assignee_id == getattr(assignee, "pk", None):
            return ticket
        previous = ticket.assignee_id
        ticket.assignee = assignee
        _touch(ticket, at, "assignee")
        _event(
            ticket,
            EventKind.ASSIGNED,
            actor=actor,
            at=at,
            assignee_id=getattr(assignee, "pk", None),
            previous_assignee_id=previous,
        )
    return ticket


_CHANGEABLE_FIELDS = ("priority", "request_type", "product", "summary", "contact_phone")


def ticket_fields_change(
    *, ticket: Ticket, actor: User, now: dt.datetime | None = None, **changes: object
) -> Ticket:
    """Change priority, request type, product, summary or contact phone (agents only).

    Side effect: one FIELD_CHANGED event per field that really changed.
    """
    unknown = set(changes) - set(_CHANGEABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here."), field=",".join(unknown))
    at = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_support(actor, ticket)
        if ticket.status in workflow.FINAL_STATUSES:
            raise TransitionRefused(_("A closed or cancelled request cannot be changed."))
        changed = []
        for name, value in changes.items():
            if name == "summary":
                value = _clean_text(
                    str(value),
                    field="summary",
                    label=_("Summary"),
                    max_length=ticket.desk.summary_max_length,
                    required=True,
                )
            if name == "request_type" and value is not None and value.desk_id != ticket.desk_id:
                raise InvalidInput(
                    _("This request type belongs to another desk."), field="request_type"
                )
            old = getattr(ticket, f"{name}_id" if name in _FK_FIELDS else name)
            new = getattr(value, "pk", value)
            if old == new:
                continue
            setattr(ticket, name, value)
            changed.append(name)
            _event(
                ticket,
                EventKind.FIELD_CHANGED,
                actor=actor,
                at=at,
                field=name,
                old=_display(old),
                new=_display(new),
                old_label=None,
                new_label=str(value) if value is not None else "",
            )
        if changed:
            _touch(ticket, at, *changed)
            if "summary" in changed:
                ticket_index_update(ticket.pk)
    return ticket


_FK_FIELDS = {"priority", "request_type", "product"}


def _display(value: object) -> object:
    return value if isinstance(value, str | int | None) else str(value)


def _participant_add(ticket: Ticket, person: User, *, actor: User | None, at: dt.datetime) -> None:
    if person.is_agent or person.is_superuser:
        raise InvalidInput(_("Agents are not participants; assign the request instead."))
    if ticket.organization_id is None or person.organization_id != ticket.organization_id:
        raise InvalidInput(
            _("%(name)s is not a colleague of the requester.") % {"name": person},
            field="participants",
        )
    _participant, created = Participant.objects.get_or_create(
        ticket=ticket, user=person, defaults={"added_by": actor, "created_at": at}
    )
    if created:
        _event(ticket, EventKind.PARTICIPANT_ADDED, actor=actor, at=at, user_id=person.pk)


def participant_add(
    *, ticket: Ticket, actor: User, person: User, now: dt.datetime | None = None
) -> None:
    """Share the request with a colleague of the requester (requester, participants, agents)."""
    at = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        roles = ticket_roles(actor, ticket)
        if not roles - {Role.SYSTEM}:
            raise NotFound()
        if ticket.status in workflow.FINAL_STATUSES:
            raise TransitionRefused(_("A closed or cancelled request cannot be changed."))
        _participant_add(ticket, person, actor=actor, at=at)
        _touch(ticket, at)


def participant_remove(
    *, ticket: Ticket, actor: User, person: User, now: dt.datetime | None = None
) -> None:
    """Stop sharing with someone: agents and the requester remove anyone, others themselves."""
    at = _now(now)
    with transaction.atomic():
        ticket = _lock(ticket)
        roles = _roles_of(actor, ticket)
        allowed = {Role.AGENT, Role.TEAM_LEAD, Role.REQUESTER} & roles or person.pk == actor.pk
        if not allowed:
            raise PermissionRefused(_("Only the requester or an agent can remove participants."))
        deleted, _details = Participant.objects.filter(ticket=ticket, user=person).delete()
        if deleted:
            _event(ticket, EventKind.PARTICIPANT_REMOVED, actor=actor, at=at, user_id=person.pk)
            _touch(ticket, at)


def ticket_mute_set(
    *, ticket: Ticket, user: User, is_muted: bool, now: dt.datetime | None = None
) -> None:
    """ "Don't notify me" for this request (seed 000), or undo it. Requests for information and
    the resolution are still sent: the notifications module applies that exception."""
    at = _now(now)
    if not ticket_queryset_for_user(user).filter(pk=ticket.pk).exists():
        raise NotFound()
    with transaction.atomic():
        if is_muted:
            _mute, created = NotificationMute.objects.get_or_create(
                ticket=ticket, user=user, defaults={"created_at": at}
            )
        else:
            created = bool(NotificationMute.objects.filter(ticket=ticket, user=user).delete()[0])
        if created:
            _event(
                ticket,
                EventKind.NOTIFICATIONS_CHANGED,
                actor=user,
                at=at,
                is_public=False,
                is_muted=is_muted,
            )


def quote_propose(
    *,
    ticket: Ticket,
    actor: User,
    price: Decimal,
    currency: str = "RON",
    deadline: dt.date | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Quote:
    """Propose a price and a deadline for the work (seed 004); replaces an unanswered quote."""
    at = _now(now)
    if price is None or Decimal(price) < 0:
        raise InvalidInput(_("The price cannot be negative."), field="price")
    with transaction.atomic():
        ticket = _lock(ticket)
        _require_support(actor, ticket)
        if not ticket.is_open:
            raise TransitionRefused(_("Quotes can be proposed only on open requests."))
        ticket.quotes.filter(state=QuoteState.PROPOSED).update(state=QuoteState.WITHDRAWN)
        quote = Quote.objects.create(
            ticket=ticket,
            price=Decimal(price),
            currency=currency.upper()[:3],
            deadline=deadline,
            note=note.strip(),
            proposed_by=actor,
            created_at=at,
        )
        _event(
            ticket,
            EventKind.QUOTE_PROPOSED,
            actor=actor,
            at=at,
            quote_id=quote.pk,
            price=str(quote.price),
            currency=quote.currency,
            deadline=deadline.isoformat() if deadline else None,
        )
        _touch(ticket, at)
    return quote


def quote_answer(
    *, quote: Quote, actor: User, is_accepted: bool, now: dt.datetime | None = None
) -> Quote:
    """The requester accepts or declines the proposed quote, once."""
    at = _now(now)
    with transaction.atomic():
        ticket = _lock(quote.ticket)
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if Role.REQUESTER not in _roles_of(actor, ticket):
            raise PermissionRefused(_("Only the requester can answer a quote."))
        if quote.state != QuoteState.PROPOSED:
            raise TransitionRefused(_("This quote has already been answered or withdrawn."))
        quote.state = QuoteState.ACCEPTED if is_accepted else QuoteState.DECLINED
        quote.answered_by = actor
        quote.answered_at = at
        quote.save(update_fields=["state", "answered_by", "answered_at"])
        _event(
            ticket,
            EventKind.QUOTE_ANSWERED,
            actor=actor,
            at=at,
            quote_id=quote.pk,
            state=quote.state,
        )
        _touch(ticket, at)
    return quote


def feedback_give(
    *, ticket: Ticket, actor: User, rating: int, message: str = "", now: dt.datetime | None = None
) -> Feedback:
    """The requester rates the resolution 1–5, once, on a resolved or closed request."""
    at = _now(now)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise InvalidInput(_("Choose a rating from 1 to 5."), field="rating")
    with transaction.atomic():
        ticket = _lock(ticket)
        if Role.REQUESTER not in _roles_of(actor, ticket):
            raise PermissionRefused(_("Only the requester can rate the resolution."))
        if not workflow.can_give_feedback(Status(ticket.status)):
            raise TransitionRefused(_("Feedback can be given once the request is resolved."))
        if Feedback.objects.filter(ticket=ticket).exists():
            raise TransitionRefused(_("Feedback has already been given for this request."))
        feedback = Feedback.objects.create(
            ticket=ticket, rating=rating, message=message.strip(), given_by=actor, created_at=at
        )
        _event(ticket, EventKind.FEEDBACK_GIVEN, actor=actor, at=at, rating=rating)
        _touch(ticket, at)
    return feedback


def tickets_close_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Close resolved tickets whose auto-close time has come (the worker runs this).

    Each ticket is closed in its own transaction through the workflow; rows locked by another
    worker are skipped, and a ticket reopened meanwhile is left alone by the status check.
    """
    at = _now(now)
    closed = 0
    due_ids = list(
        Ticket.objects.filter(status=Status.RESOLVED, auto_close_at__lte=at)
        .order_by("auto_close_at")
        .values_list("pk", flat=True)[:limit]
    )
    for ticket_id in due_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("desk")
                .filter(pk=ticket_id, status=Status.RESOLVED, auto_close_at__lte=at)
                .first()
            )
            if ticket is None:
                continue
            _apply_status(
                ticket, Status.CLOSED, actor=None, at=at, action=Action.CLOSE, comment=None
            )
            closed += 1
    return closed


def ticket_third_party_answer_record(
    *, ticket: Ticket, actor: User, answer: str = "", now: dt.datetime | None = None
) -> Ticket:
    """Record what the third party answered (an internal note, when given) and resume work.

    Both happen or neither. Side effects: those of ``ticket_comment_add`` and
    ``ticket_transition`` (THIRD_PARTY_ANSWERED).
    """
    at = _now(now)
    with transaction.atomic():
        if (answer or "").strip():
            ticket_comment_add(ticket=ticket, author=actor, body=answer, is_public=False, now=at)
        return ticket_transition(
            ticket=ticket, actor=actor, action=Action.THIRD_PARTY_ANSWERED, now=at
        )


BULK_MAX_TICKETS = 200


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk change did to one ticket: done, or the reason it was refused."""

    reference: str
    refusal: str = ""

    @property
    def is_done(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class BulkReport:
    outcomes: list[BulkOutcome]
    missing: int  # selected ids the actor may not see (or that do not exist)

    @property
    def done(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if o.is_done]

    @property
    def refused(self) -> list[BulkOutcome]:
        return [o for o in self.outcomes if not o.is_done]


def _bulk(actor: User, ticket_ids: Iterable[int], change: Callable[[Ticket], object]) -> BulkReport:
    # One transaction per ticket: a refusal on one leaves the others changed, and is reported.
    wanted = list(dict.fromkeys(int(pk) for pk in ticket_ids))[:BULK_MAX_TICKETS]
    tickets = list(
        ticket_queryset_for_user(actor)
        .filter(pk__in=wanted)
        .select_related("desk")
        .order_by("reference")
    )
    outcomes = []
    for ticket in tickets:
        try:
            change(ticket)
        except NotFound:
            outcomes.append(BulkOutcome(ticket.reference, _("There is no such request.")))
        except (InvalidInput, PermissionRefused, TransitionRefused) as exc:
            outcomes.append(BulkOutcome(ticket.reference, exc.message))
        else:
            outcomes.append(BulkOutcome(ticket.reference))
    return BulkReport(outcomes=outcomes, missing=len(wanted) - len(tickets))


def tickets_bulk_transition(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    action: Action,
    resolution: str = "",
    now: dt.datetime | None = None,
) -> BulkReport:
    """Apply one workflow action to each selected ticket; each refusal is reported per ticket.

    Side effects: those of ``ticket_transition``, per ticket that allowed it.
    """
    at = _now(now)
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_transition(
            ticket=t, actor=actor, action=action, resolution=resolution, now=at
        ),
    )


def tickets_bulk_assign(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    assignee: User | None,
    now: dt.datetime | None = None,
) -> BulkReport:
    """Assign each selected ticket (team leads: anyone; agents: themselves), reporting refusals.

    Side effects: those of ``ticket_assign``.
    """
    at = _now(now)
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_assign(ticket=t, actor=actor, assignee=assignee, now=at),
    )


def tickets_bulk_priority(
    *,
    actor: User,
    ticket_ids: Iterable[int],
    priority: Priority | None,
    now: dt.datetime | None = None,
) -> BulkReport:
    """Set the priority of each selected ticket, reporting refusals.

    Side effects: those of ``ticket_fields_change``.
    """
    at = _now(now)
    return _bulk(
        actor,
        ticket_ids,
        lambda t: ticket_fields_change(ticket=t, actor=actor, priority=priority, now=at),
    )
