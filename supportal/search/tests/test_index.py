"""Keeping the index up to date: services, the rebuild command and the engine structures."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection

from supportal.search.index import (
    MAX_DOCUMENT_LENGTH,
    search_index_rebuild,
    ticket_index_update,
    ticket_index_update_for_requester,
)
from supportal.search.models import SearchDocument
from supportal.search.selectors import _PostgreSQL, ticket_search
from supportal.search.text import search_query_parse, search_words
from supportal.tickets import services
from supportal.tickets.models import Comment
from supportal.tickets.workflow import Action


def _found(user, query: str) -> list[str]:
    return list(ticket_search(user, query).values_list("reference", flat=True))


def test_creating_a_ticket_indexes_it(cast):
    ticket = cast.ticket(summary="Ședința", details="Am parola blocata")
    document = SearchDocument.objects.get(ticket=ticket)
    assert document.public_text.startswith("help 1 sedinta cristina tanasescu example com")
    assert document.internal_text == ""


def test_adding_a_comment_updates_the_index(cast):
    ticket = cast.ticket()
    assert _found(cast.cristina, "factura") == []
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Și factura lipsește")
    assert _found(cast.cristina, "factura") == [ticket.reference]


def test_changing_the_summary_updates_the_index(cast):
    ticket = cast.ticket(summary="Parola blocată", details="Nu mă pot autentifica")
    services.ticket_fields_change(ticket=ticket, actor=cast.agent_help, summary="Cont suspendat")
    assert _found(cast.cristina, "suspendat") == [ticket.reference]
    assert _found(cast.cristina, "blocata") == []


def test_resolving_indexes_the_resolution(cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Resetat parola"
    )
    assert _found(cast.cristina, "resetat") == [ticket.reference]


def test_a_status_change_with_a_comment_indexes_it_as_a_read_back_would(cast):
    # The comment's words are appended (docs/performance.md, "Ninth round: the write paths of
    # a request"): the document is the one the ticket's rows give, and search finds them.
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.REQUEST_INFO, comment="Ce versiune?"
    )
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.WAIT_FOR_THIRD_PARTY,
        third_party="Furnizorul",
        comment="Intrebam furnizorul de imprimante",
    )
    appended = SearchDocument.objects.get(ticket=ticket)
    ticket_index_update(ticket.pk)
    read_back = SearchDocument.objects.get(ticket=ticket)
    assert (appended.public_text, appended.internal_text) == (
        read_back.public_text,
        read_back.internal_text,
    )
    assert _found(cast.cristina, "versiune") == [ticket.reference]
    assert _found(cast.agent_help, "imprimante") == [ticket.reference]
    assert _found(cast.cristina, "imprimante") == []


def test_an_answer_that_reopens_a_resolved_request_takes_its_resolution_out_of_search(cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Resetat parola"
    )
    assert _found(cast.cristina, "resetat") == [ticket.reference]
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Tot nu merge")
    ticket.refresh_from_db()
    assert ticket.resolution == ""
    assert _found(cast.cristina, "resetat") == []
    assert _found(cast.cristina, "merge") == [ticket.reference]


def test_a_requester_with_a_new_email_is_found_by_it_after_reindexing(cast):
    ticket = cast.ticket()
    cast.cristina.email = "cristina@new.example"
    cast.cristina.save()
    assert ticket_index_update_for_requester(cast.cristina.pk) == 1
    assert _found(cast.agent_help, "cristina@new.example") == [ticket.reference]
    assert _found(cast.agent_help, "tanasescu") == []


def test_a_deleted_ticket_takes_its_document_along(cast):
    ticket = cast.ticket(summary="Unic")
    ticket_id = ticket.pk
    ticket.delete()
    assert not SearchDocument.objects.filter(ticket_id=ticket_id).exists()
    ticket_index_update(ticket_id)
    assert not SearchDocument.objects.filter(ticket_id=ticket_id).exists()


def test_rebuild_search_index_restores_every_document(cast, capsys):
    tickets = [cast.ticket(summary=f"Tastatură {n}") for n in range(5)]
    Comment.objects.create(
        ticket=tickets[0],
        body="Notă internă despre garanție",
        is_public=False,
        created_at=tickets[0].created_at,
    )  # written behind the services' back: only a rebuild sees it
    SearchDocument.objects.all().delete()
    assert _found(cast.cristina, "tastatura") == []

    call_command("rebuild_search_index", "--batch-size", "2")

    assert "Indexed 5 tickets." in capsys.readouterr().out
    assert len(_found(cast.cristina, "tastatura")) == 5
    assert _found(cast.agent_help, "garantie") == [tickets[0].reference]
    assert _found(cast.cristina, "garantie") == []
    assert search_index_rebuild() == 5  # running it again is harmless


def test_the_engine_index_is_consistent_and_used(cast):
    ticket = cast.ticket(summary="Imprimanta")
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Notă", is_public=False)
    cast.ticket(summary="Altceva").delete()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Raises if the FTS5 index and search_searchdocument disagree.
            cursor.execute(
                "INSERT INTO search_searchdocument_fts(search_searchdocument_fts, rank)"
                " VALUES ('integrity-check', 1)"
            )
            return
        # The documents' half of the search, with sequential and plain index scans forbidden:
        # then only a bitmap scan on an index whose expression matches the query can serve
        # it, so the plan shows the GIN index whatever statistics earlier tests left behind.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        engine = _PostgreSQL(search_query_parse("imprimanta"))
        for include_internal, index in (
            (False, "search_doc_public_vector"),
            (True, "search_doc_all_vector"),
        ):
            matching = engine.matching_ids(include_internal=include_internal)
            cursor.execute("EXPLAIN " + matching.sql, matching.params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan


def test_documents_are_capped_in_length(cast):
    ticket = cast.ticket(summary="Jurnal")
    for _ in range(4):  # each comment within its own limit, together over the cap
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="cuvant " * 4000)
    document = SearchDocument.objects.get(ticket=ticket)
    assert len(document.public_text) <= MAX_DOCUMENT_LENGTH
    assert _found(cast.cristina, "jurnal cuvant") == [ticket.reference]


def test_search_words_fold_case_diacritics_and_punctuation():
    assert search_words("Ședința Şedinţa ŢARĂ") == ["sedinta", "sedinta", "tara"]
    assert search_words("HELP-161 cristina.tanasescu@example.com") == [
        "help",
        "161",
        "cristina",
        "tanasescu",
        "example",
        "com",
    ]
    assert search_words("snake_case\u00a0x") == ["snake", "case", "x"]


def test_queries_are_phrases_of_words_with_a_prefix_last():
    parsed = search_query_parse("HELP-161 tastat")
    assert parsed.phrases == (("help", "161"), ("tastat",))
    assert parsed.is_prefix
    assert not search_query_parse("tastatura ").is_prefix
    assert not search_query_parse('"*" -')
    assert sum(len(p) for p in search_query_parse("a " * 100).phrases) == 32
