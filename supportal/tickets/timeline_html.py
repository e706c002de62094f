"""The timeline's HTML, written in Python: what ``{% timeline_html %}`` puts on the customer's
request page, its printable record and the agent's ticket page (docs/performance.md, "Ninth
round: the request page and the ticket page").

The markup is what the template ``tickets/_timeline.html`` wrote, byte for byte, without its
nodes (that template is kept in portal/tests/reference/ as the reference of
test_ninth_round_pages.py).
Escaped by construction: every value passes through ``value_html`` (core/markup.py: what the
template engine does with ``{{ value }}``) or ``linkify`` (everything escaped, links made); the
only text written unescaped is this module's own markup and the translations of its messages,
as ``{% translate %}`` writes them. Customers read each event in the support team's words
beside its author; agents read one sentence per event, internal ones and unverified senders
marked; the events of one inbound mail are one entry (``folded``), and agents see how the mail
arrived (``remarks``) and a link to the original.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from supportal.core.formats import file_size
from supportal.core.links import linkify
from supportal.core.markup import time_html, value_html
from supportal.tickets.events import StatusChanged
from supportal.tickets.timeline import Audience, TimelineEntry


def _file_url(pk: object) -> str:
    return conditional_escape(reverse("portal:file", args=[pk]))


def timeline_html(entries: Iterable[TimelineEntry], *, audience: str) -> SafeString:
    """The ``<ol class="timeline">`` of ``entries`` for ``audience`` ("customer" or "agent")."""
    parts = ['<ol class="timeline">\n']
    for entry in entries:
        parts.append(_entry(entry, audience))
    if len(parts) == 1:
        empty = ""
        if audience == Audience.CUSTOMER:
            empty = f'<li class="muted">{_("Nothing has happened yet.")}</li>'
        parts.append(f"\n  {empty}\n")
    parts.append("\n</ol>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _entry(entry: TimelineEntry, audience: str) -> str:
    kind = entry.kind
    is_commented = kind == "commented"
    classes = f"event event-{value_html(kind)}"
    if not entry.is_public:
        classes += " internal"
    if is_commented:
        classes += " comment"
    return (
        f'\n  <li class="{classes}">\n    <p class="meta">\n      {_meta(entry, audience)}'
        f"\n    </p>\n    {_sentence(entry, audience)}\n    {_body(entry, audience)}"
        f"\n    {_files(entry) if entry.files and is_commented else ''}"
        f"\n    {_folded(entry, audience) if entry.folded else ''}"
        f"\n    {_remarks(entry) if audience == Audience.AGENT and entry.original_url else ''}"
        "\n  </li>\n"
    )


def _meta(entry: TimelineEntry, audience: str) -> str:
    author = ""
    if audience == Audience.CUSTOMER:
        actor = entry.actor
        name = value_html(actor) if actor else _("Supportal")
        author = f'<strong class="author">{name}</strong> · '
    internal = ""
    if not entry.is_public:
        tag = _("Internal note") if entry.kind == "commented" else _("Internal")
        internal = f'· <strong class="internal-tag">{tag}</strong>'
    unverified = ""
    if entry.sender_unverified:
        title = _(
            "The mail’s sender could not be verified: anyone could have written it under this "
            "address."
        )
        unverified = (
            f'· <strong class="unverified-tag" title="{title}">{_("Sender not verified")}</strong>'
        )
    return f"{author}{time_html(entry.created_at)}\n      {internal}\n      {unverified}"


def _download(attachment_id: object) -> str:
    return f' <a href="{_file_url(attachment_id)}">{_("Download")}</a>'


def _sentence(entry: TimelineEntry, audience: str) -> str:
    """The sentence under the meta line: the agent's own, or the customer's by kind."""
    kind = entry.kind
    payload = entry.payload
    if audience == Audience.AGENT:
        link = ""
        attachment_id = getattr(payload, "attachment_id", None)
        if kind == "attachment_added" and attachment_id:
            link = _download(attachment_id)
        return f"\n      <p>{value_html(entry.text)}{link}</p>\n    "
    if kind == "commented":
        return ""
    return f"\n      <p>{_customer_sentence(entry, kind, payload)}</p>\n    "


def _customer_sentence(entry: TimelineEntry, kind: str, payload: Any) -> str:
    if kind == "status_changed":
        reason = f" · {value_html(entry.reason_label)}" if entry.reason_label else ""
        return (
            f'{_("Status changed to")} <span class="status status-'
            f'{value_html(payload.to_status)}">{value_html(entry.to_status_label)}</span>{reason}'
        )
    if kind == "created":
        method = getattr(payload, "submission_method", None)
        if method == "phone":
            return f"{_('Request created')} · {_('registered from a phone call')}"
        if method == "email":
            return f"{_('Request created')} · {_('registered from an e-mail')}"
        return _("Request created")
    if kind == "attachment_added":
        file = entry.file
        pk = file.pk if file is not None else ""
        name = value_html(file.file_name) if file is not None else ""
        return f'{_("File attached")}: <a href="{_file_url(pk)}" download>{name}</a>'
    if kind == "assigned":
        if entry.person:
            return _("%(name)s is handling the request.") % {"name": value_html(entry.person)}
        return _("The request is waiting for an agent.")
    return _customer_steps(entry, kind, payload)


def _customer_steps(entry: TimelineEntry, kind: str, payload: Any) -> str:
    if kind == "participant_added":
        return _("Shared with %(name)s") % {"name": value_html(entry.person or "—")}
    if kind == "participant_removed":
        return _("No longer shared with %(name)s") % {"name": value_html(entry.person or "—")}
    if kind == "quote_proposed":
        text = _("Quote proposed: %(price)s %(currency)s") % {
            "price": value_html(payload.price),
            "currency": value_html(payload.currency),
        }
        if payload.deadline:
            text += f" · {_('deadline')} {value_html(payload.deadline)}"
        return text
    if kind == "quote_answered":
        return _("Quote accepted") if payload.state == "accepted" else _("Quote declined")
    if kind == "feedback_given":
        return _("Feedback given: %(rating)s out of 5") % {"rating": value_html(payload.rating)}
    if kind == "field_changed":
        return _("%(field)s changed to %(value)s") % {
            "field": value_html(entry.field_label),
            "value": value_html(payload.new_label_read or "—"),
        }
    return value_html(entry.get_kind_display())


def _body(entry: TimelineEntry, audience: str) -> str:
    """A comment's text, or a resolution's: linked for customers, as typed for agents."""
    text: str | None = None
    payload = entry.payload
    if entry.kind == "commented" and entry.comment:
        text = entry.comment.body
    elif entry.kind == "status_changed" and isinstance(payload, StatusChanged):
        text = payload.resolution or None
    if text is None:
        return ""
    shown = linkify(text) if audience == Audience.CUSTOMER else value_html(text)
    return f'\n      <div class="body">{shown}</div>\n    '


def _files(entry: TimelineEntry) -> str:
    items = "".join(
        f'<li><a href="{_file_url(file.pk)}" download>{value_html(file.file_name)}</a> '
        f'<span class="muted">{value_html(file_size(file.size))}</span></li>'
        for file in entry.files
    )
    return f'<ul class="files">{items}</ul>'


def _folded(entry: TimelineEntry, audience: str) -> str:
    items = []
    for sub in entry.folded:
        link = ""
        attachment_id = getattr(sub.payload, "attachment_id", None)
        if audience == Audience.AGENT and sub.kind == "attachment_added" and attachment_id:
            link = _download(attachment_id)
        elif sub.file:
            link = (
                f' <a href="{_file_url(sub.file.pk)}" download>{value_html(sub.file.file_name)}</a>'
            )
        items.append(f"<li>{value_html(sub.text)}{link}</li>")
    return f'<ul class="folded">{"".join(items)}</ul>'


def _remarks(entry: TimelineEntry) -> str:
    remarks = "".join(
        f'<span class="remark">{value_html(remark)}</span><br>' for remark in entry.remarks
    )
    return (
        f'<p class="mail-remarks muted">{remarks}<a href="{value_html(entry.original_url)}" '
        f"download>{_('Original e-mail')}</a></p>"
    )
