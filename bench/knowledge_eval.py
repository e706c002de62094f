"""Recall@5, MRR and nDCG@5 of the suggestions on the labelled set of
bench/knowledge_eval_data.py: full-text search alone, the embedding model alone, and their
fusion (docs/knowledge.md has the table), with the latency of each.

    .venv/bin/python -m bench.knowledge_eval            # a fresh SQLite database in var/
    DATABASE_URL=postgres://... .venv/bin/python -m bench.knowledge_eval   # an empty one

The corpus is written through the services (requests created by a customer and resolved by an
agent, articles published); the worker's job embeds it; every query is asked as the agent of the
one desk, who may see all of it, through the same code the pages use.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
K = 5


def _setup() -> None:
    os.environ.setdefault("SECRET_KEY", "knowledge-eval-not-a-secret")
    if "DATABASE_URL" not in os.environ:
        path = ROOT / "var" / "knowledge-eval.sqlite3"
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _load():  # type: ignore[no-untyped-def]
    from bench.knowledge_eval_data import TOPICS
    from supportal.accounts.models import Organization, User
    from supportal.desks.models import Desk, DeskMembership, RequestType
    from supportal.knowledge import services as kb
    from supportal.knowledge.models import Visibility
    from supportal.tickets import services
    from supportal.tickets.workflow import Action

    desk = Desk.objects.create(name="Support", key="EVAL")
    RequestType.objects.create(desk=desk, name="Question")
    agent = User.objects.create_user("agent@eval.test", "x", is_agent=True)
    DeskMembership.objects.create(desk=desk, user=agent)
    company = Organization.objects.create(name="Client SRL")
    customer = User.objects.create_user("client@eval.test", "x", organization=company)
    relevant: dict[str, tuple[set[int], set[int]]] = {}
    for key, requests, article, _queries in TOPICS:
        tickets = set()
        for _language, summary, details, resolution in requests:
            ticket = services.ticket_create(
                desk=desk, requester=customer, actor=customer, summary=summary, details=details
            )
            services.ticket_transition(
                ticket=ticket, actor=agent, action=Action.RESOLVE, resolution=resolution
            )
            tickets.add(ticket.pk)
        articles = set()
        if article:
            language, title, body = article
            made = kb.article_save(
                actor=agent, language=language, title=title, body=body, product=None,
                topic=None, visibility=Visibility.EVERYONE,
            )  # fmt: skip
            kb.article_publish(actor=agent, article=made, publish=True)
            articles.add(made.pk)
        relevant[key] = (tickets, articles)
    return agent, relevant


def _ndcg(ranked: list[int], relevant: set[int]) -> float:
    gain = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked[:K]) if item in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(K, len(relevant))))
    return gain / ideal if ideal else 0.0


def _scores(ranked: list[int], relevant: set[int]) -> tuple[float, float, float, float]:
    recall = len(set(ranked[:K]) & relevant) / len(relevant)
    rr = next((1 / (i + 1) for i, item in enumerate(ranked[:K]) if item in relevant), 0.0)
    # Of the three a page shows, how many are relevant (an empty list shows no noise).
    shown = ranked[:3]
    precision = len(set(shown) & relevant) / len(shown) if shown else 1.0
    return recall, rr, _ndcg(ranked, relevant), precision


def _rankers(agent):  # type: ignore[no-untyped-def]
    from supportal.knowledge import embeddings, suggest
    from supportal.knowledge.models import SuggestionKind as Kind
    from supportal.knowledge.selectors import article_queryset_for_user

    solved = suggest.solved_requests_for_user(agent)
    visible = article_queryset_for_user(agent).filter(is_published=True)

    def fulltext(text: str) -> tuple[list[int], list[int]]:
        stems = suggest.stems_of(text)
        requests = suggest._requests(agent, stems, None, limit=K, exclude=None)
        articles = suggest._articles(agent, stems, None, limit=K, language="en")
        return [t.pk for t in requests], [a.article.pk for a in articles]

    def model(text: str) -> tuple[list[int], list[int]]:
        vector = embeddings.query_vector(text)
        requests, _ = suggest._allowed_neighbours(Kind.REQUEST, vector, solved)
        articles, _ = suggest._allowed_neighbours(Kind.ARTICLE, vector, visible)
        return requests[:K], articles[:K]

    def fusion(text: str) -> tuple[list[int], list[int]]:
        found = suggest.suggest(agent, text, language="en", articles=K, requests=K)
        return [t.pk for t in found.requests], [a.article.pk for a in found.articles]

    return {"full-text": fulltext, "model": model, "fusion": fusion}


def evaluate(*, quality_only: bool = False) -> dict[str, dict[str, float]]:
    """``quality_only`` (what the suite's test asks for, docs/architecture.md, "Tests and their
    time"): full-text and the fusion only, the two the test compares, and the stems' searches
    kept between queries as a page keeps them for a while; the same rankings, so the same
    figures, in about half the time, but no latency worth printing."""
    from bench.knowledge_eval_data import TOPICS
    from supportal.knowledge import embeddings, suggest

    agent, relevant = _load()
    while embeddings.embeddings_refresh():
        pass
    queries = [(key, language, text) for key, _r, _a, qs in TOPICS for language, text in qs]
    results: dict[str, dict[str, float]] = {}
    for name, ranker in _rankers(agent).items():
        if name != "full-text" and not embeddings.model_name():
            continue
        if quality_only and name == "model":
            continue
        rows, times, article_rows = [], [], []
        for key, _language, text in queries:
            if not quality_only:
                suggest._stem_lists.clear()  # each query pays its own searches
            started = time.perf_counter()
            requests, articles = ranker(text)
            times.append((time.perf_counter() - started) * 1000)
            tickets, topic_articles = relevant[key]
            rows.append(_scores(requests, tickets))
            if topic_articles:
                article_rows.append(_scores(articles, topic_articles))
        results[name] = {
            "requests_recall@5": statistics.mean(r[0] for r in rows),
            "requests_mrr": statistics.mean(r[1] for r in rows),
            "requests_ndcg@5": statistics.mean(r[2] for r in rows),
            "requests_precision@3": statistics.mean(r[3] for r in rows),
            "articles_recall@5": statistics.mean(r[0] for r in article_rows),
            "articles_mrr": statistics.mean(r[1] for r in article_rows),
            "median_ms": statistics.median(times),
            "p95_ms": sorted(times)[int(len(times) * 0.95) - 1],
        }
    results["_set"] = {"queries": len(queries), "topics": len(TOPICS), "rrf_k": suggest.RRF_K}
    return results


def main() -> None:
    _setup()
    results = evaluate(quality_only=os.environ.get("KNOWLEDGE_EVAL_QUALITY_ONLY") == "1")
    print(
        "| ranking | requests Recall@5 | MRR | nDCG@5 | P@3 | articles Recall@5 | MRR "
        "| median ms | p95 ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        if name.startswith("_"):
            continue
        print(
            f"| {name} | {r['requests_recall@5']:.3f} | {r['requests_mrr']:.3f} "
            f"| {r['requests_ndcg@5']:.3f} | {r['requests_precision@3']:.3f} "
            f"| {r['articles_recall@5']:.3f} "
            f"| {r['articles_mrr']:.3f} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    print(results["_set"])
    out = Path(os.environ.get("KNOWLEDGE_EVAL_OUT", ROOT / "var" / "bench"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "knowledge-eval.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
