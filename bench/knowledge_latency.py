"""The suggestions' latency on a generated database (bench/generate.py; docs/knowledge.md).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.knowledge_latency [--fake-vectors]

``--fake-vectors`` first stores a random unit vector for every solved request that has none
(embedding 100,000 requests with the model takes hours on this machine; the nearest-neighbour
cost does not depend on the vectors' values). Prints the time of ``suggest`` for an agent and a
customer over a few queries, the first call (which reads the vectors into memory) apart; then
the pauses of someone typing a sentence word by word (each pause one call, as the pages send
them), and the agent's panel for a long request (its summary and details).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

QUERIES = [
    "nejde mi tisknout faktury",
    "parola blocata nu ma pot loga",
    "EDI orders missing since yesterday",
    "exportul in saga nu merge",
    "tastatura nu functioneaza",
]
TYPED = "clientul nu poate tipari facturile din modulul de vanzari dupa actualizare"
LONG = (
    "Nu se pot tipari facturile dupa actualizare\n"
    + (
        "Buna ziua, de ieri dupa actualizarea programului nu mai putem tipari facturile din "
        "modulul de vanzari. Imprimanta din contabilitate apare conectata, testul de pagina "
        "merge din Windows, dar din program apare eroarea 'nu exista imprimanta implicita'. "
        "Am incercat sa repornim calculatorul si serviciul de imprimare, fara rezultat. "
        "Avem urgent nevoie sa emitem facturile pentru clientii nostri pana la sfarsitul zilei, "
        "va rugam sa ne ajutati cat mai repede. Multumim, departamentul financiar."
    )
    * 2
)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-not-a-secret")
    import django

    django.setup()
    import numpy as np
    from django.utils import timezone

    from supportal.accounts.models import User
    from supportal.knowledge import embeddings
    from supportal.knowledge.models import Embedding, EmbeddingState
    from supportal.knowledge.suggest import suggest
    from supportal.tickets.models import Ticket

    if "--fake-vectors" in sys.argv:
        rng = np.random.default_rng(1)
        have = set(Embedding.objects.filter(kind="request").values_list("object_id", flat=True))
        ids = [
            pk
            for pk in Ticket.objects.filter(status__in=embeddings.SOLVED)
            .exclude(resolution="")
            .values_list("pk", flat=True)
            if pk not in have
        ]
        started = time.perf_counter()
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            vectors = rng.standard_normal((len(chunk), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            Embedding.objects.bulk_create(
                Embedding(
                    kind="request",
                    object_id=pk,
                    state=EmbeddingState.DONE,
                    model=embeddings.model_name(),
                    source_updated_at=timezone.now(),
                    next_attempt_at=timezone.now(),
                    vector=vector.astype("<f2").tobytes(),
                )
                for pk, vector in zip(chunk, vectors, strict=True)
            )
        print(f"stored {len(ids)} vectors in {time.perf_counter() - started:.1f} s")

    def cold() -> None:
        # Every search paid again (the stem lists a process keeps while someone types): the
        # typing rounds below are the ones that may use them.
        from supportal.knowledge import suggest as module

        getattr(module, "_stem_lists", {}).clear()

    def unknown() -> None:
        # And which words are common, which a process learns once an hour.
        from supportal.knowledge import suggest as module

        cold()
        getattr(module, "_common", {}).clear()

    solved = Ticket.objects.filter(status__in=embeddings.SOLVED).exclude(resolution="")
    agent = User.objects.filter(is_agent=True, desk_memberships__isnull=False).first()
    customer = User.objects.filter(pk__in=solved.values("requester_id")[:1]).first()
    print(f"{solved.count()} solved requests; vectors: {embeddings.embedding_counts()}")
    for who in (agent, customer):
        started = time.perf_counter()
        suggest(who, QUERIES[0], language="en")
        first = (time.perf_counter() - started) * 1000
        times = []
        for _round in range(2):
            for text in QUERIES:
                cold()
                started = time.perf_counter()
                suggest(who, text, language="en")
                times.append((time.perf_counter() - started) * 1000)
        label = "agent" if who.is_agent else "customer"
        print(
            f"{label}: first call {first:.0f} ms; then median {statistics.median(times):.0f} ms,"
            f" max {max(times):.0f} ms"
        )
        if who.is_agent:
            fresh = []
            for text in QUERIES:
                unknown()
                started = time.perf_counter()
                suggest(who, text, language="en")
                fresh.append((time.perf_counter() - started) * 1000)
            print(
                f"{label}, common words not known yet: median {statistics.median(fresh):.0f} ms,"
                f" max {max(fresh):.0f} ms"
            )
        words = TYPED.split()
        typed = []
        for end in range(3, len(words) + 1):
            started = time.perf_counter()
            suggest(who, " ".join(words[:end]), language="en")
            typed.append((time.perf_counter() - started) * 1000)
        print(
            f"{label} typing ({len(typed)} pauses): median {statistics.median(typed):.0f} ms,"
            f" max {max(typed):.0f} ms"
        )
    long = []
    for _round in range(3):
        cold()
        started = time.perf_counter()
        suggest(agent, LONG, language="en", articles=5)
        long.append((time.perf_counter() - started) * 1000)
    print(f"agent long request ({len(LONG)} characters): {', '.join(f'{t:.0f}' for t in long)} ms")


if __name__ == "__main__":
    main()
