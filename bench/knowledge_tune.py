"""Re-tune the fusion's thresholds on the evaluation set (docs/knowledge.md, "Tuning").

Loads the set like ``bench.knowledge_eval``, then computes every query's full-text lists and
its permitted nearest vectors (with their cosines) once, and replays the fusion
(``suggest._choose``'s rules) for each combination of the settings in pure Python. Prints the
best combinations on the whole set and, as a check against fitting the set, the best of one
half of the topics scored on the other half.

    python -m bench.knowledge_tune
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

from bench.knowledge_eval import K, _load, _scores, _setup

GRID = {
    "threshold": [0.74, 0.76, 0.78, 0.80, 0.82],
    "margin": [0.03, 0.05, 0.07, 0.10, 1.0],
    "weight": [1, 2, 3],
    "rrf_k": [10, 30, 60],
    "needed": [0.5, 0.67, 1.0],
}


def _precompute(agent):  # type: ignore[no-untyped-def]
    from bench.knowledge_eval_data import TOPICS
    from supportal.knowledge import embeddings, suggest
    from supportal.knowledge.models import SuggestionKind as Kind
    from supportal.knowledge.selectors import article_queryset_for_user, article_ranked_ids
    from supportal.search.selectors import ticket_search

    solved = suggest.solved_requests_for_user(agent)
    visible = article_queryset_for_user(agent).filter(is_published=True)
    rows = []
    for key, _r, _a, queries in TOPICS:
        for _language, text in queries:
            stems = suggest.stems_of(text)
            vector = embeddings.query_vector(text)
            req_lists = [
                list(
                    ticket_search(agent, stem, queryset=solved).values_list("pk", flat=True)[
                        : suggest.LIST_LENGTH
                    ]
                )
                for stem in stems
            ]
            art_lists = article_ranked_ids(
                agent, stems, limit=suggest.LIST_LENGTH, published_only=True
            )
            req_near = embeddings.nearest(
                Kind.REQUEST, vector, limit=suggest.OVERFETCH, threshold=0.7
            )
            art_near = embeddings.nearest(
                Kind.ARTICLE, vector, limit=suggest.OVERFETCH, threshold=0.7
            )
            ok_r = set(solved.filter(pk__in=[p for p, _s in req_near]).values_list("pk", flat=True))
            ok_a = set(
                visible.filter(pk__in=[p for p, _s in art_near]).values_list("pk", flat=True)
            )
            rows.append(
                (
                    key,
                    (req_lists, [(p, s) for p, s in req_near if p in ok_r]),
                    (art_lists, [(p, s) for p, s in art_near if p in ok_a]),
                )
            )
    return rows


def _rank(text_lists, near, p) -> list[int]:  # type: ignore[no-untyped-def]
    kept = [(pk, s) for pk, s in near if s >= p["threshold"]]
    if kept:
        best = kept[0][1]
        kept = [(pk, s) for pk, s in kept if s >= best - p["margin"]]
    vector_list = [pk for pk, _s in kept]
    needed = max(1, math.ceil(len(text_lists) * p["needed"]))
    matched: dict[int, int] = defaultdict(int)
    for ranked in text_lists:
        for item in set(ranked):
            matched[item] += 1
    scores: dict[int, float] = defaultdict(float)
    for ranked in [*text_lists, *[vector_list] * p["weight"]]:
        for rank, item in enumerate(ranked, start=1):
            scores[item] += 1.0 / (p["rrf_k"] + rank)
    near_ids = set(vector_list)
    chosen = [i for i in scores if i in near_ids or matched[i] >= needed]
    return sorted(chosen, key=lambda i: (-scores[i], -i))[:K]


def _measure(rows, relevant, p, topics=None):  # type: ignore[no-untyped-def]
    req, art = [], []
    for key, (rl, rn), (al, an) in rows:
        if topics is not None and key not in topics:
            continue
        tickets, articles = relevant[key]
        req.append(_scores(_rank(rl, rn, p), tickets))
        if articles:
            art.append(_scores(_rank(al, an, p), articles))
    return {
        "r5": statistics.mean(r[0] for r in req),
        "mrr": statistics.mean(r[1] for r in req),
        "p3": statistics.mean(r[3] for r in req),
        "a5": statistics.mean(r[0] for r in art),
        "amrr": statistics.mean(r[1] for r in art),
    }


def _objective(m) -> float:  # type: ignore[no-untyped-def]
    # Recall first, the first relevant one high, some weight on articles and on the noise.
    return m["r5"] + 0.5 * m["mrr"] + 0.25 * m["a5"] + 0.1 * m["p3"]


def main() -> None:
    _setup()
    from supportal.knowledge import embeddings

    agent, relevant = _load()
    while embeddings.embeddings_refresh():
        pass
    rows = _precompute(agent)
    combos = [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    # The settings before this tuning (suggest.py holds the chosen ones).
    current = {"threshold": 0.82, "margin": 0.03, "weight": 1, "rrf_k": 60, "needed": 0.5}
    print("current", current, _measure(rows, relevant, current))
    scored = sorted(
        ((_objective(m), p, m) for p in combos for m in [_measure(rows, relevant, p)]),
        key=lambda x: -x[0],
    )
    for score, p, m in scored[:8]:
        print(f"{score:.3f}", p, {k: round(v, 3) for k, v in m.items()})
    # The same, among the settings that keep the noise near today's (P@3 at least 0.55).
    for score, p, m in [row for row in scored if row[2]["p3"] >= 0.55][:8]:
        print(f"p3>=0.55 {score:.3f}", p, {k: round(v, 3) for k, v in m.items()})
    keys = sorted(relevant)
    halves = [set(keys[0::2]), set(keys[1::2])]
    for i, half in enumerate(halves):
        other = halves[1 - i]
        best = max(combos, key=lambda p: _objective(_measure(rows, relevant, p, half)))
        print(
            f"tuned on half {i}:",
            best,
            "other half:",
            {k: round(v, 3) for k, v in _measure(rows, relevant, best, other).items()},
            "current on other half:",
            {k: round(v, 3) for k, v in _measure(rows, relevant, current, other).items()},
        )


if __name__ == "__main__":
    main()
