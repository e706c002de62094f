"""The customer's request page reads its product, type and priority from the desk's kept rows,
and its files and participants only when the request has some (docs/performance.md, "Twelfth
round: the request page"): each reader still sees the request's own, in their language."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supportal.accounts.models import User
from supportal.tickets import services

pytestmark = pytest.mark.django_db

NAMES = {
    "en": ("Printer", "Bug", "High"),
    "ro": ("Imprimantă", "Defect", "Ridicată"),
    "cs": ("Tiskárna", "Chyba", "Vysoká"),
}
# The files' and the participants' own statements (the request's reads them in subqueries).
OWN_STATEMENTS = ('SELECT "tickets_attachment"', 'SELECT "tickets_participant"')


def _named(cast):
    for row, index in ((cast.product, 0), (cast.bug, 1), (cast.high, 2)):
        for language, names in NAMES.items():
            setattr(row, f"name_{language}", names[index])
        row.save()
    cast.help_desk.products.add(cast.product)
    return cast.ticket(product=cast.product, request_type=cast.bug, priority=cast.high)


def _page(client, ticket) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal:request", args=[ticket.reference]))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _facts(product: str, request_type: str, priority: str) -> list[str]:
    return [f"<dd>{request_type}</dd>", f"<dd>{priority}</dd>", f"<dd>{product}</dd>"]


@pytest.mark.parametrize("reader", ["cristina", "cristina_admin"])
@pytest.mark.parametrize("language", ["en", "ro", "cs"])
def test_the_request_page_names_its_product_type_and_priority_in_the_reader_s_language(
    client, cast, reader, language
):
    ticket = _named(cast)
    person = getattr(cast, reader)
    User.objects.filter(pk=person.pk).update(language=language)
    client.force_login(person)
    for _round in range(2):  # the second page takes the names from the kept rows
        page, _sql = _page(client, ticket)
        for fact in _facts(*NAMES[language]):
            assert fact in page
        others = [name for code, names in NAMES.items() if code != language for name in names]
        assert not [name for name in others if f"<dd>{name}</dd>" in page]


def test_a_renamed_product_and_a_type_made_inactive_show_on_the_next_page(client, cast):
    ticket = _named(cast)
    client.force_login(cast.cristina)
    _page(client, ticket)
    cast.product.name_en = "Laser printer"
    cast.product.save()
    cast.bug.is_active = False  # no longer among the desk's kept active types
    cast.bug.save()
    page, _sql = _page(client, ticket)
    assert "<dd>Laser printer</dd>" in page
    assert "<dd>Bug</dd>" in page


def test_files_and_participants_are_read_only_when_the_request_has_some(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.cristina)
    _page(client, ticket)  # the desk's kept rows
    page, bare = _page(client, ticket)
    assert not [sql for sql in bare if sql.startswith(OWN_STATEMENTS)]
    assert "download>scan.pdf<" not in page and "<li>Ion Popescu" not in page

    services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    services.ticket_comment_add(
        ticket=ticket,
        author=cast.cristina,
        body="The scan",
        attachments=[services.NewAttachment(file=SimpleUploadedFile("scan.pdf", b"%PDF"))],
    )
    page, full = _page(client, ticket)
    assert len(full) == len(bare) + 2
    assert len([sql for sql in full if sql.startswith(OWN_STATEMENTS)]) == 2
    assert "download>scan.pdf<" in page and "<li>Ion Popescu" in page

    # A participant is on the list; a colleague's file only where the company shares files.
    client.force_login(cast.colleague)
    page, _sql = _page(client, ticket)
    assert "<li>Ion Popescu" in page
    assert ("download>scan.pdf<" in page) == cast.cristina_srl.shares_attachments


def test_the_company_admin_sees_a_colleague_s_files_only_where_the_company_shares_them(
    client, cast
):
    ticket = cast.ticket(
        attachments=[services.NewAttachment(file=SimpleUploadedFile("mine.pdf", b"%PDF"))]
    )
    client.force_login(cast.cristina_admin)
    cast.cristina_srl.shares_attachments = False
    cast.cristina_srl.save()
    assert "download>mine.pdf<" not in _page(client, ticket)[0]
    cast.cristina_srl.shares_attachments = True
    cast.cristina_srl.save()
    assert "download>mine.pdf<" in _page(client, ticket)[0]
