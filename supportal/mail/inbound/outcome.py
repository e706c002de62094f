"""What became of an inbound message: the typed outcome, an agent's typed decision, and the
words people read about them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy, ngettext_lazy

from supportal.mail.models import InboundMessage, InboundState


class Decision(enum.StrEnum):
    """An agent's choice for a quarantined message (``NONE``: no choice, the rules decide)."""

    NONE = ""
    ATTACH = "attach"  # to the request it names
    NEW = "new"  # a new request


class LeaseLost(Exception):
    """Another worker claimed the row after our lease ran out; the outcome is theirs."""


@dataclass
class Outcome:
    state: InboundState
    result: str  # created, commented, noted, ignored, quarantined
    reason: str = ""
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # What the message was written into, and whether agents see it marked "sender not
    # verified" there (stored in columns, not in the JSON).
    ticket: Any = None
    comment: Any = None
    marked_unverified: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "reason": self.reason,
            "reference": self.reference,
            **self.extra,
        }


# Why a message waits for an agent. The outcome keeps the English ``reason`` for logs and the
# command line, and a code with its values so that pages show the reason in the reader's
# language (``quarantine_reason``).
QUARANTINE_REASONS = {
    "no_sender": gettext_lazy("The message names no sender."),
    "may_not_see": gettext_lazy("%(sender)s may not see %(reference)s, which the message names."),
    "no_desk": gettext_lazy("No desk receives mail at these addresses."),
    "agent_without_request": gettext_lazy("An agent's mail that names no request."),
    "deactivated": gettext_lazy("%(sender)s is a deactivated account."),
    "unverified_agent": gettext_lazy(
        "The message claims to come from the agent %(sender)s, but its sender could not be "
        "verified."
    ),
    "unverified_sender": gettext_lazy("The sender %(sender)s could not be verified."),
    "rate_limited": ngettext_lazy(
        "%(sender)s opened %(count)s request by e-mail in the last hour.",
        "%(sender)s opened %(count)s requests by e-mail in the last hour.",
        "count",
    ),
}


def quarantine_reason(outcome: dict[str, Any]) -> str:
    """The reason a message was quarantined, in the active language. Pure."""
    label = QUARANTINE_REASONS.get(outcome.get("reason_code", ""))
    if label is None:
        return str(outcome.get("reason", ""))
    # Formatted before str(): a plural label takes its number from the parameters.
    return str(label % outcome.get("reason_params", {}))


def outcome_describe(message: InboundMessage) -> str:
    """One line for people: what became of a stored message. Pure."""
    outcome = message.outcome or {}
    result = outcome.get("result", "")
    reference = outcome.get("reference", "")
    reason = outcome.get("reason", "")
    if message.state == InboundState.FAILED:
        return f"failed: {message.last_error.splitlines()[-1] if message.last_error else ''}"
    if message.state == InboundState.RECEIVED:
        return "stored, waiting to be processed"
    if result == "created":
        return f"new request {reference}"
    if result in {"commented", "noted"}:
        kind = "comment" if result == "commented" else "internal note"
        return f"{kind} on {reference}" + (f" ({reason})" if reason else "")
    return f"{result}: {reason}" + (f" ({reference})" if reference else "")


def ignored(reason: str, **extra: Any) -> Outcome:
    return Outcome(InboundState.IGNORED, "ignored", reason, extra=extra)


def quarantined(
    reason: str,
    reference: str = "",
    *,
    code: str,
    params: dict[str, Any] | None = None,
    **extra: Any,
) -> Outcome:
    extra = {**extra, "reason_code": code, "reason_params": params or {}}
    return Outcome(InboundState.QUARANTINED, "quarantined", reason, reference, extra=extra)
