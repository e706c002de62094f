"""Inbound e-mail: store the raw bytes first, then decide what a stored message becomes.

Step one (``store``): the three ways in (the SMTP listener, IMAP polling, a message piped on
standard input) call ``inbound_store``. Step two (``process``): a stored message is claimed (by
the worker queue ``mail.inbound``, by ``ingest_email`` right after storing, or by
``process_inbound``) and processed in one transaction together with the row's outcome: a crash
in the middle rolls everything back and the row is claimed again once its lease passes, so every
message is processed exactly once. An exception leaves the row FAILED with the error; it can be
processed again after a fix.

Order of decisions (docs/email.md), in ``decide``:

1. machine-written mail (our own mail coming back, bounces, read receipts, auto-replies) is
   ignored — a hard bounce holds the address, a bounce of our mail is noted on its request;
2. a second copy of a Message-ID already stored is ignored;
3. threading (``threads``): reply token, then In-Reply-To/References, then a reference in the
   subject — each only when the sender may see that request, else the mail is quarantined;
4. otherwise a new request on the mailbox's desk (rate-limited per sender).

``people`` finds or invites the sender and the people copied; ``content`` and ``post`` turn the
message into a request, a comment or a note through the ticket services.
"""

from supportal.mail.inbound.outcome import (
    QUARANTINE_REASONS,
    Decision,
    Outcome,
    outcome_describe,
    quarantine_reason,
)
from supportal.mail.inbound.process import (
    BATCH_SIZE,
    CLAIM_LEASE_DURATION,
    inbound_discard,
    inbound_process,
    inbound_process_due,
    inbound_process_one,
)
from supportal.mail.inbound.store import Stored, inbound_store, message_id_peek, served_address

__all__ = [
    "BATCH_SIZE",
    "CLAIM_LEASE_DURATION",
    "QUARANTINE_REASONS",
    "Decision",
    "Outcome",
    "Stored",
    "inbound_discard",
    "inbound_process",
    "inbound_process_due",
    "inbound_process_one",
    "inbound_store",
    "message_id_peek",
    "outcome_describe",
    "quarantine_reason",
    "served_address",
]
