"""What of a message is kept: its text, its files within the desk's limits, and the original
for agents."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from supportal.core.formats import file_size
from supportal.desks.models import Desk
from supportal.mail.content import MailPart, ParsedMail
from supportal.mail.quotes import reply_text
from supportal.tickets.models import Ticket

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|sv|vs|odp|ré|răspuns|raspuns|redirecționat)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


# --- Content --------------------------------------------------------------------------------


def mail_files(desk: Desk, parts: list[MailPart]) -> tuple[list, list[str]]:
    from supportal.tickets.services import NewAttachment

    kept, notes = [], []
    for part in parts:
        name = part.name
        limit = desk.attachment_name_max_length
        if len(name) > limit:
            stem, dot, extension = name.rpartition(".")
            extension = extension[:10] if dot else ""
            name = (stem or name)[: max(1, limit - len(extension) - 1)] + (
                f".{extension}" if extension else ""
            )
        if not part.data:
            notes.append(_("“%(name)s” was empty and was not kept.") % {"name": part.name})
            continue
        if len(part.data) > desk.attachment_max_bytes:
            notes.append(
                _("“%(name)s” (%(size)s) is over the limit of %(limit)s and was not kept.")
                % {
                    "name": part.name,
                    "size": file_size(len(part.data)),
                    "limit": file_size(desk.attachment_max_bytes),
                }
            )
            continue
        upload = SimpleUploadedFile(name, part.data, content_type=part.content_type)
        kept.append(NewAttachment(file=upload, name=name))
    return kept, notes


def original_attachment(raw: bytes):
    from supportal.tickets.services import NewAttachment

    upload = SimpleUploadedFile("original-message.eml", raw, content_type="message/rfc822")
    return NewAttachment(file=upload, name="original-message.eml")


def details_note(
    ticket: Ticket, raw: bytes, *, notes: list[str], others: list[str], now: datetime
) -> None:
    """The agents' record of the mail: the full original, dropped files, other addressees."""
    from supportal.tickets.services import ticket_mail_note_add

    lines = [_("The e-mail as received is attached (original-message.eml).")]
    if others:
        lines.append(
            _("Also addressed (not on this request): %(addresses)s")
            % {"addresses": ", ".join(others)}
        )
    lines.extend(notes)
    ticket_mail_note_add(
        ticket=ticket,
        author=None,
        body="\n".join(lines),
        attachments=[original_attachment(raw)],
        copied=others,
        now=now,
    )


def summary_of(mail: ParsedMail, desk: Desk) -> str:
    subject = _SUBJECT_PREFIX.sub("", mail.subject).strip()
    subject = " ".join(subject.split()) or _("(no subject)")
    return subject[: desk.summary_max_length]


def body_of(mail: ParsedMail) -> str:
    from supportal.tickets.models import DETAILS_MAX_LENGTH

    text = reply_text(mail.text)
    return text[:DETAILS_MAX_LENGTH]
