"""Searching tickets, with the privacy rules in the same query as the match.

Two engines, chosen by the database: PostgreSQL full-text search over GIN expression indexes,
SQLite FTS5. See docs/search.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, F, Field, FloatField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from supportal.accounts.models import User
from supportal.core import paging
from supportal.core.routers import reporting_database
from supportal.desks.models import DeskRole
from supportal.search.text import SearchQuery, search_query_parse
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import desk_roles, ticket_queryset_for_user

RANK = "search_rank"
_SUPPORT_ROLES = frozenset({DeskRole.AGENT, DeskRole.TEAM_LEAD})


def _may_search_internal(user: User) -> bool:
    return user.is_agent or user.is_superuser


def ticket_search(
    user: User,
    query: str,
    queryset: QuerySet[Ticket] | None = None,
    *,
    ranked_at_most: int | None = None,
) -> QuerySet[Ticket]:
    """Tickets ``user`` may see that match ``query``, best match first, then newest.

    ``queryset`` narrows the tickets (it must already be permission-filtered, e.g. a list's
    filters over ``ticket_queryset_for_user``); by default every ticket the user may see.
    Customers match public text only; agents also match internal notes, but only on desks
    where they are agent or team lead. A blank query returns the queryset unchanged; a query
    with no words (only punctuation) returns nothing. Any text is safe: it is never passed to
    the engine as syntax. Read-only: a search reads the read replica when there is one
    (``core.routers``; the searcher's own recent writes keep it on the primary).
    """
    tickets = ticket_queryset_for_user(user) if queryset is None else queryset
    if not query or query.isspace():
        return tickets
    tickets = tickets.using(reporting_database())
    parsed = search_query_parse(query)
    if not parsed:
        return tickets.none()
    engine = _engine(tickets.db, parsed)
    # What the searcher's texts match: customers the public text, agents and administrators
    # the internal notes too.
    include_internal = _may_search_internal(user)
    rank = engine.rank(include_internal=include_internal)
    # Ranking stops early: only the most recently updated matches are ranked (a common word
    # matches half the tickets; ranking them all costs seconds). The lists then show
    # "more than 1,000" (docs/search.md): one more than the lists count exactly. The agent's
    # list (200) and the suggestions (``ranked_at_most``: they show three) rank fewer; by
    # default one past the cap, read when called (``paging.COUNT_CAP`` may change).
    cap = paging.COUNT_CAP + 1 if ranked_at_most is None else ranked_at_most
    newest = engine.newest(tickets, cap, include_internal=include_internal)
    found = tickets.filter(pk__in=newest)
    if include_internal and not user.is_superuser:
        # Internal notes are for the desk's support team: even given a wider queryset, an
        # agent never matches another desk's notes ("a supported desk, or a public match").
        # Applied to the capped candidates, not inside their query (written as "IN
        # (subquery)" under an OR, it made the planner test every ticket of the table), and
        # the public match tested only for a candidate outside those desks
        # (docs/performance.md, "Agent search: the desk condition", "Sixth round").
        supported = sorted(
            desk for desk, role in desk_roles(user).items() if role in _SUPPORT_ROLES
        )
        found = found.filter(Q(desk_id__in=supported) | engine.public_match())
    return found.alias(**{RANK: rank}).order_by(F(RANK).desc(nulls_last=True), "-updated_at", "-pk")


def search_words_common(words: Sequence[str], *, include_internal: bool, above: int) -> set[str]:
    """Those of ``words`` (each a prefix, as the suggestions search them) that more than
    ``above`` requests' texts contain: their public text, or with the internal notes too. One
    statement; each count stops at ``above + 1``. Every request is counted, whoever may see it:
    the answer is only "in more than ``above`` requests", which says nothing of any one."""
    if not words:
        return set()
    database = reporting_database()
    counted: list[str] = []
    subqueries: list[tuple[str, Sequence[Any]]] = []
    for word in words:
        parsed = search_query_parse(word)
        if not parsed:
            continue
        matching = _engine(database, parsed).matching_ids(include_internal=include_internal)
        # Constant SQL fragments (the engines' own); every word is a parameter.
        subqueries.append((f"{matching.sql} LIMIT {int(above) + 1}", matching.params))
        counted.append(word)
    if not subqueries:
        return set()
    counts = paging.counts_at_once(database, subqueries)
    return {word for word, count in zip(counted, counts, strict=True) if count > above}


def _engine(database: str, parsed: SearchQuery) -> _Engine:
    vendor = connections[database].vendor
    if vendor == "postgresql":
        return _PostgreSQL(parsed)
    if vendor == "sqlite":
        return _SQLite(parsed)
    raise NotImplementedError(f"Search supports PostgreSQL and SQLite, not {vendor}.")


# The newest tickets read to tell a common word (SQLite reads ``cap`` more); on PostgreSQL a word
# is walked newest first when its share among them promises ``cap`` matches within
# _WALK_AT_MOST tickets, else read from the search index (docs/search.md, "Ranking stops early").
_PROBE = 1000
_WALK_AT_MOST = 20_000
# SQLite: a word in no more documents than this is chosen from its FTS5 matches.
_FEW = 2000


class _Engine:
    def __init__(self, query: SearchQuery) -> None:
        self.query = query

    def matching_ids(self, *, include_internal: bool) -> RawSQL:
        """A subquery of the ticket ids whose document matches."""
        raise NotImplementedError

    def newest(self, tickets: QuerySet[Ticket], cap: int, *, include_internal: bool) -> list[int]:
        """The ids of the ``cap`` most recently updated of ``tickets`` that match, newest
        first, chosen in statements of their own: the list's count and page then read only
        these ids (docs/search.md, "Ranking stops early")."""
        raise NotImplementedError

    def rank(self, *, include_internal: bool) -> Func:
        """An expression over the outer Ticket row: higher is more relevant."""
        raise NotImplementedError

    def public_match(self) -> Func:
        """A condition over the outer Ticket row: its public text matches."""
        raise NotImplementedError


class _SQLite(_Engine):
    """FTS5 over an external-content table mirroring search_searchdocument (rowid = ticket)."""

    def _match(self, *, include_internal: bool, is_whole_words: bool = False) -> str:
        # Words are letters and digits only, so wrapping them in double quotes makes every
        # phrase a literal: no operator, column filter or NEAR can come from the user.
        phrases = ['"' + " ".join(words) + '"' for words in self.query.phrases]
        if self.query.is_prefix and not is_whole_words:
            phrases[-1] += "*"
        expression = " ".join(phrases)
        return expression if include_internal else f"public_text : ({expression})"

    def matching_ids(self, *, include_internal: bool) -> RawSQL:
        return RawSQL(
            "SELECT rowid FROM search_searchdocument_fts WHERE search_searchdocument_fts MATCH %s",
            [self._match(include_internal=include_internal)],
        )

    def newest(self, tickets: QuerySet[Ticket], cap: int, *, include_internal: bool) -> list[int]:
        """Chosen in two or three statements, by how many documents the words match.

        1. The FTS5 matches counted up to _FEW + 1, whoever may see them (``_is_common``).
           When there are no more (a rare word), the newest of the list among them.
        2. Otherwise the newest ``_PROBE + cap`` tickets of the list, each tested through its
           document's text: every candidate when there are no more (a customer's requests, a
           narrow filter), enough matches for a common word.
        3. Otherwise every FTS5 match of the list, then the newest.

        FTS5 cannot answer "which of these tickets match" cheaply: a MATCH reads every match
        (95,000 of 100,000 documents for a common word, 60-300 ms), and a MATCH per ticket
        (``rowid = ?``) costs as much for a prefix (docs/performance.md, "Seventh round").
        """
        if tickets.query.is_empty():
            return []
        ordered = tickets.order_by("-updated_at", "-pk")
        matching = self.matching_ids(include_internal=include_internal)
        if not self._is_common(tickets.db):
            return list(ordered.filter(pk__in=matching).values_list("pk", flat=True)[:cap])
        probe = _PROBE + cap
        test, params = self._text_test(include_internal=include_internal)
        # Constant SQL fragments; every word is a parameter.
        of_candidate = f"(SELECT {test} FROM search_searchdocument d WHERE d.ticket_id = c.c_id)"  # noqa: S608
        probed = _newest_first(ordered[:probe], of_candidate, params)
        recent = [pk for pk, matches in probed if matches][:cap]
        if len(recent) >= cap or len(probed) < probe:
            return recent
        return list(ordered.filter(pk__in=matching).values_list("pk", flat=True)[:cap])

    def _is_common(self, database: str) -> bool:
        """More than _FEW documents match, in one statement. Counted in every column: a
        column filter makes FTS5 read the words' positions, several times the cost for a
        common word, and these are at least the searcher's. A prefix is counted as whole
        words first: FTS5 merges the match lists of every word a prefix begins before the
        first row (2.6 ms for "eroare"* at 100,000 tickets, 0.1 ms for "eroare"), and a word
        is its own prefix, so more than _FEW whole-word matches settle it; CASE counts the
        prefix only otherwise (docs/performance.md, "Eleventh round")."""
        # Constant SQL; the matches are parameters.
        counted = (
            "(SELECT COUNT(*) FROM (SELECT rowid FROM search_searchdocument_fts"  # noqa: S608
            f" WHERE search_searchdocument_fts MATCH %s LIMIT {_FEW + 1}))"
        )
        anywhere = self._match(include_internal=True)
        if self.query.is_prefix:
            whole = self._match(include_internal=True, is_whole_words=True)
            statement = f"SELECT CASE WHEN {counted} > {_FEW} THEN 1 ELSE {counted} > {_FEW} END"
            params = [whole, anywhere]
        else:
            statement, params = f"SELECT {counted} > {_FEW}", [anywhere]
        with connections[database].cursor() as cursor:
            cursor.execute(statement, params)
            return bool(cursor.fetchone()[0])

    def _patterns(self) -> list[str]:
        """Each phrase as it stands in a document's text between spaces (``_SPACED``):
        " w1 w2 " for whole words, " w1 w2" when the last word is a prefix."""
        last = len(self.query.phrases) - 1
        return [
            " " + " ".join(words) + ("" if self.query.is_prefix and index == last else " ")
            for index, words in enumerate(self.query.phrases)
        ]

    @staticmethod
    def _columns(*, include_internal: bool) -> tuple[str, ...]:
        return ("public_text", "internal_text") if include_internal else ("public_text",)

    def _text_test(self, *, include_internal: bool) -> tuple[str, list[str | int]]:
        """Over a document ``d``: every phrase is in one of the searcher's texts. The texts
        hold words joined by single spaces (search/text.py), as FTS5 reads them, so a phrase
        is in a text exactly when its pattern is in the text between spaces."""
        columns = self._columns(include_internal=include_internal)
        tests: list[str] = []
        params: list[str | int] = []
        for pattern in self._patterns():
            tests.append("(" + " OR ".join(f"instr({_SPACED % c}, %s) > 0" for c in columns) + ")")
            params += [pattern] * len(columns)
        return " AND ".join(tests), params

    def _of_document(self, expression: str, params: list[str | int], output_field: Field) -> Func:
        """``expression`` over the outer ticket's document ``d``."""
        return Func(
            RawSQL(expression, params),  # noqa: S611 - constant SQL; every word is a parameter
            F("pk"),
            template="(SELECT %(expressions)s)",
            arg_joiner=" FROM search_searchdocument d WHERE d.ticket_id = ",
            output_field=output_field,
        )

    def rank(self, *, include_internal: bool) -> Func:
        # How many times the phrases occur in the searcher's texts, as PostgreSQL's ts_rank
        # counts them in the document alone (each phrase counted where its words start, " w1
        # w2": a whole word also counts the longer words it begins). FTS5's bm25()
        # needs a MATCH that reads every match to weigh each word by its rarity: 30-110 ms
        # for a common word at 100,000 tickets, for at most 1,001 candidates
        # (docs/performance.md, "Seventh round").
        columns = self._columns(include_internal=include_internal)
        counts: list[str] = []
        params: list[str | int] = []
        for pattern in self._patterns():
            for column in columns:
                text = f"(' ' || d.{column})"
                counts.append(f"(length({text}) - length(replace({text}, %s, ''))) / %s")
                params += [pattern.rstrip(" "), len(pattern.rstrip(" "))]
        return self._of_document(" + ".join(counts), params, FloatField())

    def public_match(self) -> Func:
        # Per candidate, through its document, as the candidates were chosen.
        test, params = self._text_test(include_internal=False)
        return self._of_document(test, params, BooleanField())


# A document's text with a space at each end: every word then stands between spaces, so a
# phrase of whole words is found by its pattern, as FTS5 matches it.
_SPACED = "(' ' || d.%s || ' ')"


# Each word goes through unaccent on its own and is then quoted for to_tsquery: unaccent
# may turn a letter into an apostrophe (ŉ -> 'n), so the quoting happens after it, in SQL.
_TSQUERY_WORD = (
    "'''' || replace(replace(supportal_unaccent(%s), '\\', '\\\\'), '''', '''''') || ''''"
)


class _PostgreSQL(_Engine):
    """to_tsquery over the stored vectors of search/migrations/0002 (the 'simple' configuration
    over supportal_unaccent(text)), each with its GIN index: ``public_vector`` for customers,
    ``all_vector`` (public and internal text together) for agents."""

    def _tsquery(self) -> tuple[str, list[str]]:
        exact, params = self._tsquery_of(is_prefix=False)
        if not self.query.is_prefix:
            return exact, params
        # "word:*" alone has no statistics, so the planner guesses its matches; "word | word:*"
        # finds the same documents (a word is its own prefix) and lets the planner see how
        # common the word is: a common one then stops after the newest matches instead of
        # reading the whole index (docs/performance.md).
        prefix, _ = self._tsquery_of(is_prefix=True)
        return f"({exact} || {prefix})", params + params

    def _tsquery_of(self, *, is_prefix: bool) -> tuple[str, list[str]]:
        pieces: list[str] = []
        for index, words in enumerate(self.query.phrases):
            if index:
                pieces.append("' & '")
            pieces.append(" || ' <-> ' || ".join([_TSQUERY_WORD] * len(words)))
        if is_prefix:
            pieces.append("':*'")
        params = [word for words in self.query.phrases for word in words]
        return f"to_tsquery('simple'::regconfig, {' || '.join(pieces)})", params

    @staticmethod
    def _column(*, include_internal: bool) -> str:
        return "all_vector" if include_internal else "public_vector"

    def matching_ids(self, *, include_internal: bool) -> RawSQL:
        tsquery, params = self._tsquery()
        column = self._column(include_internal=include_internal)
        # Constant SQL fragments only; every word is a parameter.
        sql = f"SELECT ticket_id FROM search_searchdocument WHERE {column} @@ {tsquery}"  # noqa: S608
        return RawSQL(sql, params)  # noqa: S611

    def _of_document(self, head: str, output_field: Field) -> Func:
        """``head`` and the query, then ")", over the outer ticket's stored document ``d``:
        nothing is recomputed from text."""
        tsquery, params = self._tsquery()
        return Func(
            RawSQL(tsquery, params),  # noqa: S611 - constant SQL; every word is a parameter
            F("pk"),
            template=f"(SELECT {head}%(expressions)s)",
            arg_joiner=") FROM search_searchdocument d WHERE d.ticket_id = ",
            output_field=output_field,
        )

    def rank(self, *, include_internal: bool) -> Func:
        column = self._column(include_internal=include_internal)
        return self._of_document(f"ts_rank(d.{column}, ", FloatField())

    def newest(self, tickets: QuerySet[Ticket], cap: int, *, include_internal: bool) -> list[int]:
        """Chosen in one or two statements, by how often the words match among the newest
        tickets; the list's count and page then read only these ids.

        Left to itself, PostgreSQL estimates a word in fewer than about 1.4 % of the
        documents (none of its statistics' common words) at 0.5 to 1 %: asked for 201 matches
        it walked the tickets newest first testing each one's vector, 1.7 s at a million
        tickets for a word in 0.25 % of them (docs/performance.md, "Sixth round").
        """
        if tickets.query.is_empty():
            return []
        column = self._column(include_internal=include_internal)
        ordered = tickets.order_by("-updated_at", "-pk")
        # The newest _PROBE tickets, each tested: every candidate when there are no more (a
        # customer's requests, a narrow filter), enough matches for a common word.
        tsquery, words = self._tsquery()
        # Constant SQL fragments; every word is a parameter.
        test = (
            f"(SELECT d.{column} @@ ({tsquery})"  # noqa: S608
            " FROM search_searchdocument d WHERE d.ticket_id = c.c_id)"
        )
        probed = _newest_first(ordered[:_PROBE], test, words)
        recent = [pk for pk, matches in probed if matches][:cap]
        if len(recent) >= cap or len(probed) < _PROBE:
            return recent
        if len(recent) * _WALK_AT_MOST >= _PROBE * cap:
            # Common enough that walking newest first meets ``cap`` within _WALK_AT_MOST.
            walked = ordered.filter(self._of_document(f"d.{column} @@ (", BooleanField()))
            return list(walked.values_list("pk", flat=True)[:cap])
        # Rare among the newest: every match, planned for all of them (OFFSET 0 keeps the
        # planner from walking the tickets for the LIMIT), then the newest.
        matches = tickets.filter(pk__in=self.matching_ids(include_internal=include_internal))
        return [pk for pk, _ in _newest_first(matches.order_by(), "TRUE", (), cap=cap, fenced=True)]

    def public_match(self) -> Func:
        # Per candidate, through the document's primary key, and only for a candidate the OR
        # reaches (outside the agent's desks: for most agents none). As an array of every
        # public match (an InitPlan, never run) its estimated cost, a sequential scan for a
        # common word, made PostgreSQL compile the whole statement (JIT): 47 to 73 ms
        # (docs/performance.md, "Sixth round").
        return self._of_document("d.public_vector @@ (", BooleanField())


def _newest_first(
    rows: QuerySet[Ticket],
    test: str,
    params: Sequence[str | int],
    *,
    cap: int | None = None,
    fenced: bool = False,
) -> list[tuple[int, bool]]:
    """The ids of ``rows`` (the subquery ``c``) with ``test`` of each, newest first."""
    columns = rows.annotate(c_id=F("pk"), c_at=F("updated_at")).values("c_id", "c_at")
    try:
        sql, rows_params = columns.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # nothing can match (an agent of no desk): no SQL to run
        return []
    fence = " OFFSET 0" if fenced else ""
    limit = "" if cap is None else f" LIMIT {int(cap)}"
    # A compiled queryset and constant fragments; every value is a parameter.
    statement = (
        f"SELECT c.c_id, {test} FROM ({sql}{fence}) c"  # noqa: S608
        f" ORDER BY c.c_at DESC, c.c_id DESC{limit}"
    )
    with connections[rows.db].cursor() as cursor:
        cursor.execute(statement, (*params, *rows_params))
        return [(row[0], bool(row[1])) for row in cursor.fetchall()]
