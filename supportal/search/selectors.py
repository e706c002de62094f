"""Searching tickets, with the privacy rules in the same query as the match.

Two engines, chosen by the database: PostgreSQL full-text search over GIN expression indexes,
SQLite FTS5. See docs/search.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import F, FloatField, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from supportal.accounts.models import User
from supportal.core import paging
from supportal.core.routers import reporting_database
from supportal.desks.models import DeskRole
from supportal.search.text import SearchQuery, search_query_parse
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import InSubquery, desk_roles, ticket_queryset_for_user

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
    matches = Q(pk__in=engine.matching_ids(include_internal=include_internal))
    rank = engine.rank(include_internal=include_internal)
    # Ranking stops early: only the most recently updated matches are ranked (a common word
    # matches half the tickets; ranking them all costs seconds). The list then shows
    # "more than 1,000" (docs/search.md): one more than the lists count exactly. Suggestions
    # rank fewer (``ranked_at_most``: they show three); by default one past the cap, read when
    # called (``paging.COUNT_CAP`` may change).
    candidates = tickets.filter(matches).order_by("-updated_at", "-pk").values("pk")
    cap = paging.COUNT_CAP + 1 if ranked_at_most is None else ranked_at_most
    found = tickets.filter(pk__in=candidates[:cap])
    if include_internal and not user.is_superuser:
        # Internal notes are for the desk's support team: even given a wider queryset, an
        # agent never matches another desk's notes ("a supported desk, or a public match").
        # Applied to the capped candidates, not inside their query, and the public match as
        # an array the database builds only for a row outside those desks: written as
        # "IN (subquery)" under an OR, it made the planner test every ticket of the table
        # instead of reading the matches (docs/performance.md, "Agent search: the desk
        # condition").
        supported = sorted(
            desk for desk, role in desk_roles(user).items() if role in _SUPPORT_ROLES
        )
        public = InSubquery(F("pk"), engine.matching_ids(include_internal=False))
        found = found.filter(Q(desk_id__in=supported) | Q(public))
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


class _Engine:
    def __init__(self, query: SearchQuery) -> None:
        self.query = query

    def matching_ids(self, *, include_internal: bool) -> RawSQL:
        """A subquery of the ticket ids whose document matches."""
        raise NotImplementedError

    def rank(self, *, include_internal: bool) -> Func:
        """An expression over the outer Ticket row: higher is more relevant."""
        raise NotImplementedError


class _SQLite(_Engine):
    """FTS5 over an external-content table mirroring search_searchdocument (rowid = ticket)."""

    def _match(self, *, include_internal: bool) -> str:
        # Words are letters and digits only, so wrapping them in double quotes makes every
        # phrase a literal: no operator, column filter or NEAR can come from the user.
        phrases = ['"' + " ".join(words) + '"' for words in self.query.phrases]
        if self.query.is_prefix:
            phrases[-1] += "*"
        expression = " ".join(phrases)
        return expression if include_internal else f"public_text : ({expression})"

    def matching_ids(self, *, include_internal: bool) -> RawSQL:
        return RawSQL(
            "SELECT rowid FROM search_searchdocument_fts WHERE search_searchdocument_fts MATCH %s",
            [self._match(include_internal=include_internal)],
        )

    def rank(self, *, include_internal: bool) -> Func:
        # bm25() is only available inside a full-text query. Scored once for all matches, in a
        # derived table that "LIMIT -1" keeps SQLite from flattening into the correlated
        # subquery: it is materialised once and read through an automatic index. Flattened, the
        # match ran once per candidate: 3.4 s instead of 0.1 s for a word in 95% of 10,000
        # requests (docs/performance.md). Lower bm25 is better, so negate it.
        return Func(
            Value(self._match(include_internal=include_internal)),
            F("pk"),
            template=(
                "(SELECT ranked.score FROM (SELECT rowid AS id,"
                " -bm25(search_searchdocument_fts) AS score FROM search_searchdocument_fts"
                " WHERE search_searchdocument_fts MATCH %(expressions)s)"
            ),
            arg_joiner=" LIMIT -1) ranked WHERE ranked.id = ",
            output_field=FloatField(),
        )


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

    def rank(self, *, include_internal: bool) -> Func:
        tsquery, params = self._tsquery()
        column = self._column(include_internal=include_internal)
        # The stored vector of the outer ticket's document: nothing is recomputed from text.
        return Func(
            RawSQL(tsquery, params),  # noqa: S611 - constant SQL; every word is a parameter
            F("pk"),
            template=f"(SELECT ts_rank(d.{column}, %(expressions)s)",
            arg_joiner=") FROM search_searchdocument d WHERE d.ticket_id = ",
            output_field=FloatField(),
        )
