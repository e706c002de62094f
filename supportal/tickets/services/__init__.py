"""The only code that changes a ticket.

Portal, workspace, API, inbound mail and management commands all call these functions. Each one
runs in a transaction, checks permission and the workflow table, writes an Event row for every
change, and schedules its side effects after commit. Refusals are DomainErrors whose message can
be shown as it is.
"""

from __future__ import annotations

from supportal.tickets.services._common import events_deferred, events_origin
from supportal.tickets.services.attachments import NewAttachment, attachments_check
from supportal.tickets.services.bulk import (
    BULK_MAX_TICKETS,
    BulkOutcome,
    BulkReport,
    tickets_bulk_assign,
    tickets_bulk_priority,
    tickets_bulk_transition,
)
from supportal.tickets.services.comments import ticket_comment_add, ticket_mail_note_add
from supportal.tickets.services.create import ticket_create
from supportal.tickets.services.fields import (
    FieldChanges,
    custom_fields_clean,
    priority_rank_copy,
    ticket_fields_change,
)
from supportal.tickets.services.imports import (
    ImportedAssignment,
    ImportedComment,
    ImportedFiles,
    ImportedStatus,
    ImportedStep,
    StepWritten,
    ticket_import_create,
    ticket_import_feedback,
    ticket_import_history,
)
from supportal.tickets.services.people import (
    participant_add,
    participant_add_by_email,
    participant_add_copied,
    participant_remove,
    ticket_assign,
    ticket_mute_set,
)
from supportal.tickets.services.quotes import feedback_give, quote_answer, quote_propose
from supportal.tickets.services.transitions import (
    ticket_third_party_answer_record,
    ticket_transition,
    tickets_close_due,
)

__all__ = [
    "BULK_MAX_TICKETS",
    "BulkOutcome",
    "BulkReport",
    "FieldChanges",
    "ImportedAssignment",
    "ImportedComment",
    "ImportedFiles",
    "ImportedStatus",
    "ImportedStep",
    "NewAttachment",
    "StepWritten",
    "attachments_check",
    "custom_fields_clean",
    "events_deferred",
    "events_origin",
    "feedback_give",
    "participant_add",
    "participant_add_by_email",
    "participant_add_copied",
    "participant_remove",
    "priority_rank_copy",
    "quote_answer",
    "quote_propose",
    "ticket_assign",
    "ticket_comment_add",
    "ticket_create",
    "ticket_fields_change",
    "ticket_import_create",
    "ticket_import_feedback",
    "ticket_import_history",
    "ticket_mail_note_add",
    "ticket_mute_set",
    "ticket_third_party_answer_record",
    "ticket_transition",
    "tickets_bulk_assign",
    "tickets_bulk_priority",
    "tickets_bulk_transition",
    "tickets_close_due",
]
