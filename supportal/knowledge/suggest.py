"""Suggestions: the articles and solved requests most like a text, for its reader only.

Ranked lists are fused by reciprocal rank fusion: one full-text list per significant word of
the text (its stem as a prefix: the ticket search of supportal/search for requests, the
articles' search words for articles) and, with the model, one list of nearest vectors. Every
list is drawn from — or filtered through — the reader's permission selectors, so a suggestion
never shows what its reader may not see (docs/knowledge.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import QuerySet

from supportal.accounts.models import User
from supportal.core.routers import reporting_database
from supportal.knowledge import embeddings
from supportal.knowledge.models import Article
from supportal.knowledge.models import SuggestionKind as Kind
from supportal.knowledge.selectors import (
    Shown,
    article_queryset_for_user,
    article_ranked_ids,
    article_text_for,
)
from supportal.search.selectors import search_words_common, ticket_search
from supportal.search.text import search_words
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import ticket_queryset_for_user

RRF_K = 10
MAX_STEMS = 5
LONG_TEXT_STEMS = 3
LIST_LENGTH = 20
OVERFETCH = 50
# Cosine similarities of multilingual-e5-small crowd between 0.75 and 0.95 (docs/knowledge.md):
# a neighbour below VECTOR_THRESHOLD is left out. A neighbour above it is evidence enough on its
# own (NEAR_IS_EVIDENCE; off: only one at STRONG_SIMILARITY is); VECTOR_WEIGHT counts the
# vector list that many times in the fusion; RELATIVE_MARGIN keeps only the neighbours that
# close to the best one. Re-tuned with bench/knowledge_tune.py on the 208-query set, keeping the
# noise (P@3) above 0.5 (docs/knowledge.md, "Tuning", has the grid and the choice).
VECTOR_THRESHOLD = 0.80
STRONG_SIMILARITY = 0.88
NEAR_IS_EVIDENCE = True
VECTOR_WEIGHT = 2
RELATIVE_MARGIN = 0.05

# Words too common to say what a request is about (after search_words: no accents).
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "have",
        "has",
        "not",
        "can",
        "cannot",
        "does",
        "dont",
        "when",
        "what",
        "where",
        "which",
        "your",
        "our",
        "are",
        "was",
        "were",
        "will",
        "would",
        "there",
        "their",
        "they",
        "them",
        "then",
        "than",
        "into",
        "also",
        "just",
        "only",
        "some",
        "more",
        "please",
        "thanks",
        "thank",
        "hello",
        "help",
        "need",
        "want",
        "doesnt",
        "isnt",
        "after",
        "before",
        "pentru",
        "care",
        "este",
        "sunt",
        "din",
        "nici",
        "cand",
        "unde",
        "cum",
        "imi",
        "mai",
        "acest",
        "aceasta",
        "aveti",
        "avem",
        "poate",
        "multumesc",
        "buna",
        "ziua",
        "va",
        "rog",
        "dupa",
        "inainte",
        "fara",
        "foarte",
        "nebo",
        "jako",
        "jsem",
        "jste",
        "jsme",
        "neni",
        "ktery",
        "ktera",
        "ktere",
        "pro",
        "pri",
        "kdyz",
        "tento",
        "tato",
        "toto",
        "uz",
        "jeste",
        "dekuji",
        "prosim",
        "dobry",
        "den",
        "muze",
        "mame",
        "mate",
        "bez",
        "jak",
    ]
)


def stems_of(text: str, *, most: int = MAX_STEMS) -> list[str]:
    """The significant words of ``text`` as prefixes: accents and case dropped, common words
    out, the end of a long word cut (so "faktury" finds "faktur" and "faktura"), the longest
    few kept."""
    stems: list[str] = []
    for word in search_words(text):
        if len(word) < 4 or word in _STOPWORDS or word.isdigit():
            continue
        # Czech and Romanian inflect: "tisknout" -> "tisk", "facturile" -> "factu".
        stem = word[: max(4, len(word) - 4)] if len(word) > 5 else word
        stem = stem[:7]
        if stem not in stems:
            stems.append(stem)
    return sorted(stems, key=len, reverse=True)[:most]


def fuse(lists: Sequence[Sequence[int]], *, k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) for the ids it holds."""
    scores: dict[int, float] = defaultdict(float)
    for ranked in lists:
        for rank, item in enumerate(ranked, start=1):
            scores[item] += 1.0 / (k + rank)
    return scores


def _choose(
    text_lists: list[list[int]], vector_list: list[int], strong: set[int], *, limit: int
) -> list[int]:
    """The fused order, keeping only ids with enough evidence: a strongly similar vector, or a
    match of at least half of the text's significant words."""
    needed = max(1, math.ceil(len(text_lists) / 2))
    matched: dict[int, int] = defaultdict(int)
    for ranked in text_lists:
        for item in set(ranked):
            matched[item] += 1
    near = set(vector_list) if NEAR_IS_EVIDENCE else strong
    scores = fuse([*text_lists, *[vector_list] * VECTOR_WEIGHT])
    kept = [item for item in scores if item in near or matched[item] >= needed]
    return sorted(kept, key=lambda item: (-scores[item], -item))[:limit]


@dataclass
class Suggestions:
    articles: list[Shown] = field(default_factory=list)
    requests: list[Ticket] = field(default_factory=list)
    used_model: bool = False

    def __bool__(self) -> bool:
        return bool(self.articles or self.requests)


def solved_requests_for_user(user: User) -> QuerySet[Ticket]:
    return (
        ticket_queryset_for_user(user).filter(status__in=embeddings.SOLVED).exclude(resolution="")
    )


def _allowed_neighbours(kind: str, vector, allowed: QuerySet) -> tuple[list[int], set[int]]:
    """The nearest sources, over-fetched, then filtered through ``allowed`` (the reader's
    permission queryset); and those of them similar enough to be suggested on their own."""
    near = embeddings.nearest(kind, vector, limit=OVERFETCH, threshold=VECTOR_THRESHOLD)
    if not near:
        return [], set()
    permitted = set(allowed.filter(pk__in=[pk for pk, _s in near]).values_list("pk", flat=True))
    kept = [(pk, score) for pk, score in near if pk in permitted]
    if kept:
        # Weak neighbours of a strong best one are noise: only those near the best stay.
        best = kept[0][1]
        kept = [(pk, score) for pk, score in kept if score >= best - RELATIVE_MARGIN]
    return [pk for pk, _s in kept], {pk for pk, score in kept if score >= STRONG_SIMILARITY}


# A stem's ranked ids, per reader, for a few seconds: while someone types, most of the text's
# stems stay the same from one pause to the next, and each costs a search query. Only ids are
# kept, and every id is read through the reader's permission queryset again before it is shown.
STEM_SECONDS = 30.0
STEM_ENTRIES = 2_000
_stem_lists: OrderedDict[tuple[int, str, int | None], tuple[float, list[int]]] = OrderedDict()
_stem_lock = threading.Lock()
# A stem is searched among its RANKED most recent matches only (the search ranks 1,000 for a
# list of requests; a suggestion shows three).
RANKED = 200


def _stem_lists_of(
    user: User, stems: list[str], solved: QuerySet[Ticket], exclude: int | None
) -> list[list[int]]:
    """Each stem's ranked ids: from the reader's recent ones, or searched now."""
    now = time.monotonic()
    with _stem_lock:
        cached = {stem: _stem_lists.get((user.pk, stem, exclude)) for stem in stems}
    lists = {
        stem: seen[1] for stem, seen in cached.items() if seen and now - seen[0] < STEM_SECONDS
    }
    missing = [stem for stem in stems if stem not in lists]
    if missing:
        with _serial(reporting_database()):
            for stem in missing:
                found = ticket_search(user, stem, queryset=solved, ranked_at_most=RANKED)
                lists[stem] = list(found.values_list("pk", flat=True)[:LIST_LENGTH])
        with _stem_lock:
            for stem in missing:
                _stem_lists[(user.pk, stem, exclude)] = (now, lists[stem])
                _stem_lists.move_to_end((user.pk, stem, exclude))
            while len(_stem_lists) > STEM_ENTRIES:
                _stem_lists.popitem(last=False)
    return [lists[stem] for stem in stems]


@contextmanager
def _serial(database: str) -> Iterator[None]:
    """PostgreSQL plans a search over many requests with parallel workers; for a suggestion's
    searches (20 rows of at most 200 ranked) starting them costs more than they save: 15–35 ms
    a search against 3–5 ms without, on this machine (docs/knowledge.md, "Latency")."""
    connection = connections[database]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=database), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield
        # Inside a longer transaction, the rest of it plans as before (after an error, the
        # rollback to the savepoint undoes the setting).
        cursor.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")


# A stem that more than COMMON_ABOVE requests contain is a common word of this firm's requests,
# like a stop word: searching it costs the most (its many matches are read, sorted and ranked)
# and says the least (docs/knowledge.md, "Common words"). Known per process for an hour.
COMMON_ABOVE = 1_000
COMMON_SECONDS = 3600.0
_common: dict[tuple[str, bool], tuple[float, bool]] = {}


def _common_stems(user: User, stems: list[str]) -> set[str]:
    internal, now = bool(user.is_agent or user.is_superuser), time.monotonic()
    with _stem_lock:
        known = {s: _common.get((s, internal)) for s in stems}
    unknown = [s for s, seen in known.items() if seen is None or now - seen[0] > COMMON_SECONDS]
    found = search_words_common(unknown, include_internal=internal, above=COMMON_ABOVE)
    with _stem_lock:
        if len(_common) > STEM_ENTRIES * 5:
            _common.clear()
        _common.update(((s, internal), (now, s in found)) for s in unknown)
    return found | {s for s, seen in known.items() if s not in unknown and seen and seen[1]}


def _requests(
    user: User, stems: list[str], vector, *, limit: int, exclude: int | None
) -> list[Ticket]:
    solved = solved_requests_for_user(user)
    if exclude is not None:
        solved = solved.exclude(pk=exclude)
    vector_list, strong = _allowed_neighbours(Kind.REQUEST, vector, solved)
    # Common words are left out when anything else is left to rank by: the text's other words
    # or the near vectors (which match a text however it is worded).
    common = _common_stems(user, stems)
    rare = [stem for stem in stems if stem not in common]
    if rare or vector_list:
        stems = rare
    text_lists = _stem_lists_of(user, stems, solved, exclude)
    chosen = _choose(text_lists, vector_list, strong, limit=limit)
    if not chosen:
        return []
    # Every id above came through ``solved``; the rows are read through it once more.
    rows = solved.filter(pk__in=chosen).select_related("product")
    by_id = {ticket.pk: ticket for ticket in rows}
    return [by_id[pk] for pk in chosen if pk in by_id]


def _articles(user: User, stems: list[str], vector, *, limit: int, language: str) -> list[Shown]:
    visible = article_queryset_for_user(user).filter(is_published=True)
    text_lists = article_ranked_ids(user, stems, limit=LIST_LENGTH, published_only=True)
    vector_list, strong = _allowed_neighbours(Kind.ARTICLE, vector, visible)
    chosen = _choose(text_lists, vector_list, strong, limit=limit)
    if not chosen:
        return []
    rows = visible.filter(pk__in=chosen).prefetch_related("texts")
    by_id: dict[int, Article] = {article.pk: article for article in rows}
    return [article_text_for(by_id[pk], language) for pk in chosen if pk in by_id]


def suggest(
    user: User,
    text: str,
    *,
    language: str,
    articles: int = 3,
    requests: int = 3,
    exclude_ticket: int | None = None,
) -> Suggestions:
    """The articles and solved requests most like ``text`` that ``user`` may see. Of a long
    text (a request's summary, then its details) only the beginning counts, and fewer of its
    words, those of the first line first: each word is a search, and a long text's longest
    words are mostly its common ones."""
    if len(text) > embeddings.QUERY_LIMIT:
        text = text[: embeddings.QUERY_LIMIT]
        stems = stems_of(text.split("\n", 1)[0], most=LONG_TEXT_STEMS)
        stems += [stem for stem in stems_of(text) if stem not in stems]
        stems = stems[:LONG_TEXT_STEMS]
    else:
        stems = stems_of(text)
    vector = embeddings.query_vector(text) if stems else None
    if not stems:
        return Suggestions()
    return Suggestions(
        articles=_articles(user, stems, vector, limit=articles, language=language),
        requests=_requests(user, stems, vector, limit=requests, exclude=exclude_ticket),
        used_model=vector is not None,
    )
