"""Every URL pattern of the site, and one real object of a seeded cast for each of its arguments.

Shared by the tests that walk the whole URL map: hostile input (no 500 anywhere) and the
URL-coverage permission table (a new URL without a row fails).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from supportal.accounts.models import Contact, User, UserSession
from supportal.company.models import Download, NewsletterIssue, NewsletterList, Topic
from supportal.conftest import Cast
from supportal.imports.models import ImportedKind, ImportedObject
from supportal.mail.mailboxes import mailbox_save
from supportal.mail.models import (
    DiscardedSender,
    InboundMessage,
    InboundState,
    Mailbox,
    OutboundEmail,
)
from supportal.replies.models import CannedReply, SavedView
from supportal.tickets import services
from supportal.tickets.models import Ticket


@dataclass(frozen=True)
class Pattern:
    route: str  # e.g. "agent/tickets/<str:reference>/"
    name: str  # e.g. "workspace:ticket"; admin patterns are "admin:..."
    arguments: tuple[str, ...]
    string_arguments: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


def url_patterns() -> list[Pattern]:
    """Every named URL pattern, with its namespace."""
    found: dict[str, Pattern] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                route = prefix + str(entry.pattern)
                converters = (
                    entry.pattern.converters if hasattr(entry.pattern, "converters") else {}
                )
                arguments = tuple(entry.pattern.regex.groupindex)
                strings = tuple(
                    arg
                    for arg in arguments
                    if type(converters.get(arg)).__name__ in ("StringConverter", "PathConverter")
                    or arg not in converters
                )
                found.setdefault(name, Pattern(route, name, arguments, strings))

    walk(get_resolver().url_patterns, "", "")
    return sorted(found.values(), key=lambda p: p.name)


# A new client signed in as the given person of the cast (None: anonymous): the ``signed_in``
# fixture of supportal/core/tests/conftest.py.
SignedIn = Callable[[User | None], Client]


@dataclass
class UrlWorld:
    cast: Cast
    ticket: Ticket
    other_ticket: Ticket
    values: dict[str, object]

    def url(self, pattern: Pattern, **override: object) -> str:
        kwargs = {arg: override.get(arg, self.value(pattern, arg)) for arg in pattern.arguments}
        return reverse(pattern.name, kwargs=kwargs)

    def value(self, pattern: Pattern, argument: str) -> object:
        specific = self.values.get(f"{pattern.name}.{argument}")
        if specific is not None:
            return specific
        if pattern.name.startswith("admin:") and argument == "object_id":
            return admin_object_id(pattern.name)
        return self.values[argument]


def admin_object_id(name: str) -> str:
    """The primary key of a row of the model an admin URL name is about ("1" when none)."""
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            row = model._default_manager.order_by("pk").first()
            return str(row.pk) if row is not None else "1"
    return "1"


def url_world_build(cast: Cast) -> UrlWorld:
    """A request with a comment, a quote and attachments; a contact, a saved view, a canned
    reply, a quarantined mail, a mail in the outbox, a download and a newsletter issue."""
    from supportal.mail.tests.test_inbound_processing import deliver, mail

    ticket = cast.ticket(
        summary="Imprimanta",
        participants=[cast.colleague],
        attachments=[services.NewAttachment(file=SimpleUploadedFile("scan.txt", b"scan"))],
    )
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Try the driver")
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("10"))
    other_ticket = cast.ticket(requester=cast.other_customer, summary="Alt tichet")
    contact = Contact.objects.create(
        organization=cast.cristina_srl, first_name="Radu", last_name="B", email="radu@example.com"
    )
    topic = Topic.objects.create(name="Drivers")
    download = Download(
        product=cast.product,
        topic=topic,
        title="Driver",
        released_on=datetime.date(2026, 1, 1),
        file_name="driver.zip",
    )
    download.file.save("driver.zip", ContentFile(b"zip"), save=True)
    from supportal.knowledge import services as knowledge
    from supportal.knowledge.models import Visibility

    article = knowledge.article_save(
        actor=cast.agent_help, language="en", title="Drivers", body="Install the driver.",
        product=cast.product, topic=topic, visibility=Visibility.CUSTOMERS,
    )  # fmt: skip
    knowledge.article_publish(actor=cast.agent_help, article=article, publish=True)
    picture = knowledge.article_picture_add(
        actor=cast.agent_help, article=article, data=_png(), file_name="ecran.png", language="en"
    )
    newsletter = NewsletterList.objects.create(name="News", code="NEWS")
    issue = NewsletterIssue.objects.create(newsletter=newsletter, subject="Hello", body="Hi")
    view = SavedView.objects.create(owner=cast.agent_help, name="Mine")
    canned = CannedReply.objects.create(desk=cast.help_desk, title="Thanks", body="Thanks!")
    quarantined = deliver(mail(sender="spam@evil.test", subject=f"Re: {ticket.reference}"))
    assert quarantined.state == InboundState.QUARANTINED
    rule = DiscardedSender.objects.create(desk=cast.help_desk, address="oferte@spam.test")
    email = OutboundEmail.objects.filter(ticket=ticket).first() or OutboundEmail.objects.create(
        next_attempt_at=timezone.now(), subject="x", ticket=ticket
    )
    session = UserSession.objects.create(user=cast.cristina, session_key="k" * 32)
    # The request came from an old portal: its old link leads to it (docs/import.md).
    ImportedObject.objects.create(
        source="jira:old.example",
        kind=ImportedKind.REFERENCE,
        source_id=ticket.reference,
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=ticket.pk,
    )
    ImportedObject.objects.create(  # and from django-helpdesk, as its ticket 7
        source="django-helpdesk:/old/helpdesk.sqlite3",
        kind=ImportedKind.REFERENCE,
        source_id="HELPDESK-7",
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=ticket.pk,
    )
    mailbox = mailbox_save(
        mailbox=Mailbox(name="Suport", host="imap.firma.ro", username="suport@firma.ro"),
        password="parola",
    )
    users = User.objects.all()
    values: dict[str, object] = {
        "reference": ticket.reference,
        "portal": 1,
        "imports:old_helpdesk.ticket_id": 7,
        "action": "cancel",
        "workspace:action.action": "resolve",
        "view_id": view.pk,
        "reply_id": canned.pk,
        "user_id": cast.colleague.pk,
        "organization_id": cast.cristina_srl.pk,
        "company_id": cast.cristina_srl.pk,
        "mailbox_id": mailbox.pk,
        "contact_id": contact.pk,
        "newsletter_id": newsletter.pk,
        "issue_id": issue.pk,
        "message_id": quarantined.pk,
        "rule_id": rule.pk,
        "decision": "discard",
        "email_id": email.pk,
        "template": "ticket_created",
        "language": "en",
        "quote_id": quote.pk,
        "attachment_id": ticket.attachments.get().pk,
        "download_id": download.pk,
        # An article for the customers of a product Cristina SRL does not have.
        "article_id": article.pk,
        "picture_id": picture.pk,
        "kind": "article",
        "portal:suggestion_open.object_id": article.pk,
        "token": "not-a-real-token",
        "uidb64": "MQ",
        "session_id": session.pk,
        "customer_id": cast.cristina.pk,
        "token_id": 1,
        # No such identity provider: its pages answer "not found" (supportal/sso/tests).
        "provider": "no-such-provider",
        # The administration site.
        "app_label": "accounts",
        "object_id": str(cast.cristina.pk),
        "content_type_id": ContentType.objects.get_for_model(User).pk,
        "id": cast.cristina.pk,
        "admin:password_change.id": cast.cristina.pk,
        "admin:auth_user_password_change.id": cast.cristina.pk,
    }
    assert users.exists()
    assert InboundMessage.objects.filter(pk=quarantined.pk).exists()
    return UrlWorld(cast=cast, ticket=ticket, other_ticket=other_ticket, values=values)


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    return out.getvalue()
