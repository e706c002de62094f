"""Administrators' wording of the notification mails: checking it, rendering it, previewing it.

The files under ``mail/templates/mail/<name>/`` are the default; a
:class:`~supportal.notifications.models.NotificationTemplate` row for the mail and the
recipient's language replaces the parts it fills. Overrides are Django templates compiled by the
project's engine, so they may ``{% extends %}`` or ``{% include %}`` the shared parts; the HTML
part renders with autoescaping on, and the checks below refuse switching it off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError, engines
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PARTS = ("subject", "body_text", "body_html")

# What would print the customer's or an administrator's text unescaped into the HTML.
_UNSAFE_HTML = re.compile(r"{%\s*autoescape\s+off\s*%}|\|\s*safe\b|\|\s*safeseq\b")

COMMON_VARIABLES = (
    ("ticket", gettext_lazy("the request: ticket.reference, ticket.summary, ticket.status…")),
    ("recipient", gettext_lazy("the person the mail goes to: recipient.get_full_name, …")),
    ("actor", gettext_lazy("the person who acted, or nothing when the system did")),
    ("actor_name", gettext_lazy("that person's name")),
    (
        "channels",
        gettext_lazy(
            "the footer: team_name, support_email, portal_address, phone, "
            "working_hours, footer_note"
        ),
    ),
    ("view_url", gettext_lazy("the request's page (portal for customers, workspace for agents)")),
    ("mute_url", gettext_lazy('the signed "Don\'t notify me" link')),
    ("base_url", gettext_lazy("this server's public address")),
)
CUSTOMER_VARIABLES = (
    ("kind", gettext_lazy("created, taken, request_info, resolved, status or comment")),
    ("status_labels", gettext_lazy("the status changes of the action, in order")),
    ("final_status_label", gettext_lazy("the status the request ended in")),
    ("resolution", gettext_lazy("the resolution, when resolved")),
    ("comment", gettext_lazy("the public comment (comment.body), if any")),
    ("comment_author", gettext_lazy("its author's name")),
    ("attachment_names", gettext_lazy("the names of its public files")),
    ("attachment_links", gettext_lazy("(name, link) of its files too large to attach")),
    ("other_participants", gettext_lazy("the other addresses on the request")),
)
AGENT_VARIABLES = (
    ("comments", gettext_lazy("pairs of (comment, author name), internal notes included")),
    ("status_labels", gettext_lazy("the status changes of the action, in order")),
    ("preferences_url", gettext_lazy("the agent's notification choices")),
)
SLA_VARIABLES = (
    ("sla_kind", gettext_lazy("warning, breach or reply_overdue")),
    ("goal_label", gettext_lazy("the goal: time to first response, to resolution…")),
    ("deadline", gettext_lazy("when the goal is (or was) due, in the recipient's time zone")),
    ("target_minutes", gettext_lazy("the goal's target in working minutes")),
    ("preferences_url", gettext_lazy("the agent's notification choices")),
)
QUOTE_VARIABLES = (
    ("quote", gettext_lazy("the quote: quote.price, quote.currency, quote.deadline, quote.note")),
    ("other_participants", gettext_lazy("the other addresses on the request")),
)
PARTICIPANT_VARIABLES = (
    ("other_participants", gettext_lazy("the other addresses on the request")),
)
REMINDER_VARIABLES = (
    ("deadline", gettext_lazy("by when the answer is expected, in the recipient's time zone")),
    ("other_participants", gettext_lazy("the other addresses on the request")),
)


def documented_variables(template: str) -> list[tuple[str, str]]:
    """The variables a mail's templates receive, with what each is (shown on the edit page)."""
    extra: tuple[tuple[str, object], ...]
    if template == "agent_sla":
        extra = SLA_VARIABLES
    elif template == "customer_reply_reminder":
        extra = REMINDER_VARIABLES
    elif template == "quote_proposed":
        extra = QUOTE_VARIABLES
    elif template == "participant_added":
        extra = PARTICIPANT_VARIABLES
    elif template.startswith("agent_"):
        extra = AGENT_VARIABLES
    else:
        extra = CUSTOMER_VARIABLES
    return [(name, str(text)) for name, text in (*COMMON_VARIABLES, *extra)]


def template_check(parts: Mapping[str, str]) -> None:
    """Raise ValidationError (per part, with the compiler's message) unless every filled part
    compiles and the HTML keeps autoescaping on. Pure apart from loading included templates."""
    errors: dict[str, list[str]] = {}
    engine = engines["django"]
    for part in PARTS:
        source = parts.get(part) or ""
        if not source.strip():
            continue
        try:
            engine.from_string(source)
        except TemplateSyntaxError as exc:
            errors.setdefault(part, []).append(
                _("This template does not compile: %(message)s") % {"message": exc}
            )
        except Exception as exc:  # e.g. {% extends %} of a template that does not exist
            errors.setdefault(part, []).append(
                _("This template does not compile: %(message)s") % {"message": exc}
            )
        if part == "body_html" and _UNSAFE_HTML.search(source):
            errors.setdefault(part, []).append(
                _(
                    "Autoescaping must stay on in the HTML part: "
                    "remove “autoescape off” and “|safe”."
                )
            )
    if errors:
        raise ValidationError(errors)


def _render_source(source: str, context: Mapping[str, Any], *, is_html: bool) -> str:
    template = Engine.get_default().from_string(source)
    # Plain text and subject are not HTML: no escaping, as the outbox renders its files.
    return template.render(Context(dict(context), autoescape=is_html))


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body_text: str
    body_html: str


def override_render(
    override: Any, context: Mapping[str, Any], *, language: str, fallback: RenderedMail
) -> RenderedMail:
    """The mail with the override's filled parts rendered in ``language`` and the others taken
    from ``fallback`` (the files' rendering). No side effects."""
    full_context = {"base_url": settings.SUPPORTAL_BASE_URL, **context}
    with translation.override(language):
        subject = fallback.subject
        if override.subject.strip():
            rendered = _render_source(override.subject, full_context, is_html=False)
            subject = " ".join(rendered.split())
        body_text = (
            _render_source(override.body_text, full_context, is_html=False)
            if override.body_text.strip()
            else fallback.body_text
        )
        body_html = (
            _render_source(override.body_html, full_context, is_html=True)
            if override.body_html.strip()
            else fallback.body_html
        )
    return RenderedMail(subject=subject, body_text=body_text, body_html=body_html)


def files_render(template: str, context: Mapping[str, Any], *, language: str) -> RenderedMail:
    """The mail as the files under ``mail/<template>/`` render it. No side effects."""
    from django.template.loader import get_template

    full_context = {"base_url": settings.SUPPORTAL_BASE_URL, **context}
    base = f"mail/{template}"
    engine = Engine.get_default()
    with translation.override(language):
        subject = engine.get_template(f"{base}/subject.txt").render(
            Context(full_context, autoescape=False)
        )
        body_text = engine.get_template(f"{base}/body.txt").render(
            Context(full_context, autoescape=False)
        )
        body_html = get_template(f"{base}/body.html").render(full_context)
    return RenderedMail(subject=" ".join(subject.split()), body_text=body_text, body_html=body_html)


def sample_context(template: str, ticket: Any, recipient: Any) -> dict[str, Any]:
    """A plausible context for previewing ``template`` on ``ticket`` (no side effects)."""
    from supportal.notifications.models import NotificationSettings
    from supportal.tickets.models import Quote

    base = settings.SUPPORTAL_BASE_URL
    context: dict[str, Any] = {
        "ticket": ticket,
        "recipient": recipient,
        "actor": recipient,
        "actor_name": recipient.get_full_name() or recipient.email,
        "channels": NotificationSettings.load(),
        "view_url": f"{base}/requests/{ticket.reference}/",
        "mute_url": f"{base}/notifications/mute/sample/",
        "preferences_url": f"{base}/notifications/preferences/",
        "kind": "status",
        "status_labels": [_("In progress")],
        "final_status_label": _("In progress"),
        "resolution": "",
        "comment": None,
        "comment_author": "",
        "attachment_names": [],
        "attachment_links": [],
        "other_participants": ["colleague@example.com"],
        "comments": [],
        "sla_kind": "warning",
        "goal_label": _("Time to resolution"),
        "deadline": timezone.now(),
        "target_minutes": 120,
        "quote": Quote(
            price=Decimal("1500.00"),
            currency="RON",
            deadline=timezone.localdate() + timedelta(days=14),
            note=_("Sample quote: two days of work."),
        ),
    }
    return context


def sample_ticket() -> Any:
    """The newest request, or a built-in sample when there is none (not saved)."""
    from supportal.tickets.models import Ticket

    newest = Ticket.objects.select_related("desk", "requester", "assignee").order_by("-pk").first()
    if newest is not None:
        return newest
    return Ticket(reference="HELP-123", summary=_("Sample request: the printer does not print"))


def file_sources(template: str) -> dict[str, str]:
    """The default wording: the source of the files under ``mail/<template>/``."""
    names = {"subject": "subject.txt", "body_text": "body.txt", "body_html": "body.html"}
    engine = Engine.get_default()
    return {
        part: engine.get_template(f"mail/{template}/{name}").source for part, name in names.items()
    }


def template_preview(
    *, template: str, language: str, parts: Mapping[str, str], recipient: Any
) -> RenderedMail:
    """Render ``parts`` (empty ones: the files) on the sample request, in ``language``.

    Raises ValidationError when a part does not compile or fails while rendering. No side
    effects (the sample request is only read)."""
    template_check(parts)
    ticket = sample_ticket()
    context = sample_context(template, ticket, recipient)
    fallback = files_render(template, context, language=language)

    @dataclass(frozen=True)
    class _Parts:
        subject: str
        body_text: str
        body_html: str

    try:
        return override_render(
            _Parts(**{part: parts.get(part) or "" for part in PARTS}),
            context,
            language=language,
            fallback=fallback,
        )
    except Exception as exc:
        raise ValidationError(
            _("This template fails on the sample request: %(message)s") % {"message": exc}
        ) from exc
