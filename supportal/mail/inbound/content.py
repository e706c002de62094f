"""What of a message is kept: its text, its files within the desk's limits, and the original
for agents."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from supportal.core.formats import file_size
from supportal.desks.models import Desk
from supportal.mail.content import MailPart, ParsedMail
from supportal.mail.quotes import reply_text

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


def details_record(base: dict, mail: ParsedMail, *, notes: list[str], others: list[str]) -> dict:
    """What agents read beside the mail's timeline entry (workspace/events.py), kept on the
    stored message's outcome instead of a note of its own: the files that were dropped, the
    other addressees not on the request, and what had to be repaired to read it. The original
    stays the stored row's bytes, one click away (docs/email.md, "One entry per mail")."""
    record = dict(base)
    if notes:
        record["notes"] = notes
    if others:
        record["copied"] = others
    if mail.repairs:
        record["repairs"] = mail.repairs
    return record


def summary_of(mail: ParsedMail, desk: Desk) -> str:
    subject = _SUBJECT_PREFIX.sub("", mail.subject).strip()
    subject = " ".join(subject.split()) or _("(no subject)")
    return subject[: desk.summary_max_length]


def body_of(mail: ParsedMail) -> str:
    from supportal.tickets.models import DETAILS_MAX_LENGTH

    text = reply_text(mail.text)
    return text[:DETAILS_MAX_LENGTH]
