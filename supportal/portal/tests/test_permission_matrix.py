"""Who may do what, as one table: roles × objects × actions, with the expected answer.

Every cell is checked in the data layer (selectors and services: what every interface uses)
for the signed-in roles, and through the portal's URLs for the customers and the anonymous
visitor. What one may not see is "not found" everywhere: lists, pages, search, exports, files.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from supportal.accounts.models import User
from supportal.conftest import Cast
from supportal.core.errors import DomainError
from supportal.search.selectors import ticket_search
from supportal.tickets import selectors, services
from supportal.tickets.models import Attachment, Comment, Quote, QuoteState, Ticket
from supportal.tickets.workflow import Action, Status

REQUESTER, PARTICIPANT, COLLEAGUE, CUSTOMER_ADMIN = (
    "requester",
    "participant",
    "colleague",
    "customer_admin",
)
OTHER_COMPANY, DESK_AGENT, OTHER_DESK_AGENT, ANONYMOUS = (
    "other_company_customer",
    "desk_agent",
    "other_desk_agent",
    "anonymous",
)
CUSTOMERS = [REQUESTER, PARTICIPANT, COLLEAGUE, CUSTOMER_ADMIN, OTHER_COMPANY]
SIGNED_IN = [*CUSTOMERS, DESK_AGENT, OTHER_DESK_AGENT]

SEES_REQUEST = {REQUESTER, PARTICIPANT, CUSTOMER_ADMIN, DESK_AGENT}
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("request", "list"): SEES_REQUEST,
    ("request", "view"): SEES_REQUEST,
    ("request", "search"): SEES_REQUEST,
    ("request", "comment"): SEES_REQUEST,
    ("request", "act"): {REQUESTER, DESK_AGENT},  # cancel
    ("comment", "view"): SEES_REQUEST,
    ("comment", "search"): SEES_REQUEST,
    ("internal_note", "view"): {DESK_AGENT},
    ("internal_note", "search"): {DESK_AGENT},
    # The requester's own upload: uploader and support team (docs/requirements.md V5).
    ("attachment", "view"): {REQUESTER, DESK_AGENT},
    ("attachment", "download"): {REQUESTER, DESK_AGENT},
    # The agent's public attachment: everyone who sees the request.
    ("agent_attachment", "download"): SEES_REQUEST,
    ("export", "download"): SEES_REQUEST,
    ("quote", "view"): SEES_REQUEST,
    ("quote", "act"): {REQUESTER},  # accept
}


@dataclass
class World:
    ticket: Ticket
    comment: Comment
    note: Comment
    attachment: Attachment
    agent_attachment: Attachment
    quote: Quote
    users: dict[str, User | None]


def world_build(cast: Cast) -> World:
    maria = User.objects.create_user(
        "maria@example.com", first_name="Maria", organization=cast.cristina_srl
    )
    ticket = cast.ticket(
        summary="Imprimanta unicorn",
        participants=[maria],
        attachments=[services.NewAttachment(file=SimpleUploadedFile("cristina-scan.txt", b"scan"))],
    )
    comment = services.ticket_comment_add(
        ticket=ticket,
        author=cast.agent_help,
        body="Try the zebra driver",
        attachments=[services.NewAttachment(file=SimpleUploadedFile("driver.zip", b"zip"))],
    )
    note = services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="okapi margin", is_public=False
    )
    quote = services.quote_propose(ticket=ticket, actor=cast.agent_help, price=Decimal("777"))
    return World(
        ticket=ticket,
        comment=comment,
        note=note,
        attachment=ticket.attachments.get(comment__isnull=True),
        agent_attachment=comment.attachments.get(),
        quote=quote,
        users={
            REQUESTER: cast.cristina,
            PARTICIPANT: maria,
            COLLEAGUE: cast.colleague,
            CUSTOMER_ADMIN: cast.cristina_admin,
            OTHER_COMPANY: cast.other_customer,
            DESK_AGENT: cast.agent_help,
            OTHER_DESK_AGENT: cast.agent_dev,
            ANONYMOUS: None,
        },
    )


@pytest.fixture(scope="module")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def _module_world(module_rows, _module_cast, media_root) -> None:
    def build(rows) -> World:
        with override_settings(MEDIA_ROOT=media_root):
            return world_build(rows.get("cast"))

    module_rows.register("world", build)


@pytest.fixture
def world(request, module_rows, _module_world, db, settings, media_root) -> World:
    """The world, built once for the module's cells (each cell's changes are rolled back); the
    cast's own copy is made only when there is no shared world to hold it."""
    settings.MEDIA_ROOT = media_root
    shared = module_rows.copy("world")
    return shared if shared is not None else world_build(request.getfixturevalue("cast"))


def _succeeds(call) -> bool:
    try:
        call()
    except DomainError:
        return False
    return True


def _sees(user: User, world: World) -> bool:
    return _succeeds(lambda: selectors.ticket_get_for_user(user, world.ticket.reference))


def _data_layer(world: World, user: User, obj: str, action: str) -> bool:
    ticket = world.ticket
    found = lambda word: ticket_search(user, word).filter(pk=ticket.pk).exists()  # noqa: E731
    checks = {
        ("request", "list"): lambda: (
            selectors.ticket_queryset_for_user(user).filter(pk=ticket.pk).exists()
        ),
        ("request", "view"): lambda: _sees(user, world),
        ("request", "search"): lambda: found("unicorn"),
        ("request", "comment"): lambda: _succeeds(
            lambda: services.ticket_comment_add(ticket=ticket, author=user, body="hello")
        ),
        ("request", "act"): lambda: _succeeds(
            lambda: services.ticket_transition(ticket=ticket, actor=user, action=Action.CANCEL)
        ),
        ("comment", "view"): lambda: (
            _sees(user, world)
            and selectors.comment_list_for_user(user, ticket).filter(pk=world.comment.pk).exists()
        ),
        ("comment", "search"): lambda: found("zebra"),
        ("internal_note", "view"): lambda: (
            _sees(user, world)
            and selectors.comment_list_for_user(user, ticket).filter(pk=world.note.pk).exists()
        ),
        ("internal_note", "search"): lambda: found("okapi"),
        ("attachment", "view"): lambda: _succeeds(
            lambda: selectors.attachment_get_for_user(user, world.attachment.pk)
        ),
        ("attachment", "download"): lambda: _succeeds(
            lambda: selectors.attachment_get_for_user(user, world.attachment.pk)
        ),
        ("agent_attachment", "download"): lambda: _succeeds(
            lambda: selectors.attachment_get_for_user(user, world.agent_attachment.pk)
        ),
        ("export", "download"): lambda: _sees(user, world),
        ("quote", "view"): lambda: _sees(user, world),
        ("quote", "act"): lambda: _succeeds(
            lambda: services.quote_answer(quote=world.quote, actor=user, is_accepted=True)
        ),
    }
    return checks[(obj, action)]()


def _through_the_portal(client, world: World, obj: str, action: str) -> bool:
    ticket = world.ticket
    page_url = reverse("portal:request", args=[ticket.reference])

    def page_shows(text: str) -> bool:
        response = client.get(page_url)
        return response.status_code == 200 and text in response.content.decode()

    def listed(**params: str) -> bool:
        response = client.get(reverse("portal:requests"), {"status": "any", **params})
        return response.status_code == 200 and ticket.reference in response.content.decode()

    def ok(url: str, **params: str) -> bool:
        return client.get(url, params).status_code == 200

    def comment() -> bool:
        client.post(reverse("portal:comment", args=[ticket.reference]), {"body": "hello there"})
        return Comment.objects.filter(ticket=ticket, body="hello there").exists()

    def cancel() -> bool:
        client.post(reverse("portal:action", args=[ticket.reference, "cancel"]), {"confirm": "1"})
        return Ticket.objects.get(pk=ticket.pk).status == Status.CANCELLED

    def accept() -> bool:
        client.post(
            reverse("portal:quote_answer", args=[ticket.reference, world.quote.pk]),
            {"decision": "accept"},
        )
        return Quote.objects.get(pk=world.quote.pk).state == QuoteState.ACCEPTED

    checks = {
        ("request", "list"): lambda: listed(),
        ("request", "view"): lambda: page_shows(ticket.summary),
        ("request", "search"): lambda: listed(q="unicorn"),
        ("request", "comment"): comment,
        ("request", "act"): cancel,
        ("comment", "view"): lambda: page_shows("zebra driver"),
        ("comment", "search"): lambda: listed(q="zebra"),
        ("internal_note", "view"): lambda: page_shows("okapi"),
        ("internal_note", "search"): lambda: listed(q="okapi"),
        ("attachment", "view"): lambda: page_shows("cristina-scan.txt"),
        ("attachment", "download"): lambda: ok(reverse("portal:file", args=[world.attachment.pk])),
        ("agent_attachment", "download"): lambda: ok(
            reverse("portal:file", args=[world.agent_attachment.pk])
        ),
        ("export", "download"): lambda: ok(
            reverse("portal:record", args=[ticket.reference]), download="1"
        ),
        ("quote", "view"): lambda: page_shows("777.00 RON"),
        ("quote", "act"): accept,
    }
    return checks[(obj, action)]()


@pytest.mark.parametrize(
    ("role", "obj", "action"),
    [(role, *cell) for role in SIGNED_IN for cell in EXPECTED],
)
def test_permission_matrix_in_the_data_layer(world, role, obj, action):
    allowed = _data_layer(world, world.users[role], obj, action)
    assert allowed == (role in EXPECTED[(obj, action)])


@pytest.mark.parametrize(
    ("role", "obj", "action"),
    [(role, *cell) for role in [*CUSTOMERS, ANONYMOUS] for cell in EXPECTED],
)
def test_permission_matrix_through_the_portal(client, world, role, obj, action):
    if world.users[role] is not None:
        client.force_login(world.users[role])
    allowed = _through_the_portal(client, world, obj, action)
    assert allowed == (role in EXPECTED[(obj, action)])


def test_what_one_may_not_see_is_not_found_by_url(client, world, cast):
    client.force_login(cast.other_customer)
    reference = world.ticket.reference
    for url in (
        reverse("portal:request", args=[reference]),
        reverse("portal:record", args=[reference]),
        reverse("portal:file", args=[world.agent_attachment.pk]),
    ):
        assert client.get(url).status_code == 404
    for url in (
        reverse("portal:comment", args=[reference]),
        reverse("portal:action", args=[reference, "cancel"]),
        reverse("portal:mute", args=[reference]),
        reverse("portal:participant_add", args=[reference]),
        reverse("portal:feedback", args=[reference]),
        reverse("portal:quote_answer", args=[reference, world.quote.pk]),
    ):
        assert client.post(url, {"body": "x", "mute": "1", "rating": "5"}).status_code == 404
