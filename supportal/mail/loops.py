"""Mail that no person wrote: auto-replies, bounces, read receipts, our own mail coming back.

Such mail never opens a request and is never answered automatically — answering an
auto-responder is how mail loops start. Pure functions over a ParsedMail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from supportal.mail.content import ParsedMail

AUTO_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[ -]?reply|auto:|autoreply"
    r"|away from (?:the )?office|vacation|absence"
    r"|răspuns automat|raspuns automat|absent(?:ă)? de la birou|în concediu|in concediu"
    r"|automatická odpověď|automaticka odpoved|nepřítomnost|nepřítomen|mimo kancelář"
    r"|dovolená)",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
BOUNCE_SUBJECT = re.compile(
    r"(?:undeliver|delivery status notification|delivery (?:has )?failed|failure notice"
    r"|returned mail|mail delivery (?:failed|system)|non[- ]?delivery|nedoručitel)",
    re.IGNORECASE,
)
RECEIPT_SUBJECT = re.compile(
    r"^\s*(?:read|citit|přečteno|přečtena|return receipt|read receipt)\s*:", re.IGNORECASE
)
_RECIPIENT = re.compile(
    r"^(?:final|original)-recipient:\s*(?:rfc822;)?\s*<?([^>\s]+@[^>\s]+)", re.I | re.M
)
_STATUS = re.compile(r"^status:\s*([245])\.(\d{1,3})\.(\d{1,3})", re.I | re.M)
_DIAGNOSTIC = re.compile(r"^diagnostic-code:\s*(.+)$", re.I | re.M)
_ACTION = re.compile(r"^action:\s*(\w+)", re.I | re.M)
_TEXT_STATUS = re.compile(r"\b(5\.\d{1,3}\.\d{1,3})\b")
_TEXT_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24})>?")
_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^<>\s]+>)", re.I | re.M)


@dataclass
class Noise:
    kind: str  # "own", "bounce", "receipt", "auto_reply", "report"
    reason: str
    hard_bounce_addresses: list[str] = field(default_factory=list)
    diagnostic: str = ""
    original_message_ids: list[str] = field(default_factory=list)


def _bounce(mail: ParsedMail) -> Noise:
    status_text = mail.report_parts.get("message/delivery-status", "") or mail.report_parts.get(
        "message/global-delivery-status", ""
    )
    addresses: list[str] = []
    diagnostic = ""
    if status_text:
        is_failed = any(a.lower() == "failed" for a in _ACTION.findall(status_text))
        is_permanent = any(code == "5" for code, _x, _y in _STATUS.findall(status_text))
        if is_failed and is_permanent:
            addresses = list(dict.fromkeys(a.lower() for a in _RECIPIENT.findall(status_text)))
        found = _DIAGNOSTIC.search(status_text)
        diagnostic = found.group(1).strip() if found else ""
    else:
        # Non-DSN bounces (qmail, old Exim): a permanent status code in the text and the
        # addresses quoted near it. Only trusted when the text names a 5.x.x status.
        if _TEXT_STATUS.search(mail.text[:5000]):
            addresses = [
                a.lower()
                for a in _TEXT_ADDRESS.findall(mail.text[:3000])
                if not BOUNCE_SENDER.match(a)
            ][:1]
    originals = _MESSAGE_ID.findall(mail.report_parts.get("text/rfc822-headers", ""))
    originals += [m for m in _MESSAGE_ID.findall(mail.text) if m not in originals]
    return Noise(
        kind="bounce",
        reason="a delivery failure report (bounce)",
        hard_bounce_addresses=addresses,
        diagnostic=diagnostic[:500],
        original_message_ids=originals[:5],
    )


def noise_detect(mail: ParsedMail, *, own_message_ids: set[str] | None = None) -> Noise | None:
    """What kind of machine-written mail this is, or None for mail a person wrote. Pure
    (``own_message_ids``: those of the message's Message-ID we sent, read by the caller)."""
    if mail.header("x-supportal-ticket") or (
        own_message_ids and mail.message_id in own_message_ids
    ):
        return Noise("own", "our own outgoing mail came back")
    report = mail.report_type
    if report == "disposition-notification" or "message/disposition-notification" in (
        mail.report_parts
    ):
        return Noise("receipt", "a read receipt")
    if report == "feedback-report" or "message/feedback-report" in mail.report_parts:
        return Noise("report", "an abuse feedback report")
    if (
        report == "delivery-status"
        or "message/delivery-status" in mail.report_parts
        or BOUNCE_SENDER.match(mail.from_address or "")
        or (not mail.from_address and BOUNCE_SUBJECT.search(mail.subject))
        or (BOUNCE_SUBJECT.search(mail.subject) and mail.header("return-path") in {"<>", ""})
    ):
        return _bounce(mail)
    auto_submitted = mail.header("auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return Noise("auto_reply", f"Auto-Submitted: {auto_submitted}")
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if mail.header(name):
            return Noise("auto_reply", f"{name} header")
    precedence = mail.header("precedence").strip().lower()
    if precedence in {"bulk", "junk", "auto_reply", "list"}:
        return Noise("auto_reply", f"Precedence: {precedence}")
    if AUTO_SUBJECT.search(mail.subject):
        return Noise("auto_reply", "an out-of-office subject")
    if RECEIPT_SUBJECT.search(mail.subject) and mail.header("content-type").startswith(
        "multipart/report"
    ):
        return Noise("receipt", "a read receipt")
    return None
