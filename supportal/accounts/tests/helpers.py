"""Reading the mail the account services queue."""

from __future__ import annotations

import re

from django.conf import settings

from supportal.mail.models import OutboundEmail


def mails(template: str | None = None, to: str | None = None) -> list[OutboundEmail]:
    rows = OutboundEmail.objects.order_by("created_at", "pk")
    if template:
        rows = rows.filter(template=template)
    return [row for row in rows if to is None or to in row.to]


def link_path(email: OutboundEmail) -> str:
    """The first link to the portal in the mail's text, as a path."""
    match = re.search(re.escape(settings.SUPPORTAL_BASE_URL) + r"(/\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)
