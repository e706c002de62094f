"""Brute force (numpy) against the approximate index (usearch) over random unit vectors, the
figures of docs/knowledge.md ("Nearest neighbours"):

    nice -n 19 .venv/bin/python -m bench.knowledge_ann 100000 1000000 [--dtype i8]

For each size: the brute-force query's time (the matrix product and the top 50, as
``embeddings.nearest`` does it); the index's build time on the machine's cores, its memory
(usearch's own count) and its query time; and recall@10 against the exact answer, for random
queries and for queries near a stored vector (a request like an earlier one: the case that
suggestions exist for). Prints a Markdown table and the load average.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

DIMENSIONS = 384
QUERIES = 100
TOP = 10
OVERFETCH = 50


def _unit(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _brute(matrix: np.ndarray, query: np.ndarray, limit: int) -> np.ndarray:
    scores = matrix @ query
    best = np.argpartition(-scores, limit - 1)[:limit]
    return best[np.argsort(-scores[best])]


def _median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def _clustered(rng: np.random.Generator, count: int) -> np.ndarray:
    """Vectors around 1,000 topics, about as close to their topic (cosine ~0.85) as the model's
    vectors of one kind of request are to one another (docs/knowledge.md)."""
    centres = _unit(rng, 1000)
    vectors = centres[rng.integers(0, len(centres), count)] + 0.6 * _unit(rng, count)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def measure(size: int, dtype: str, kind: str) -> dict[str, float]:
    from supportal.knowledge.embeddings import ann_index_build

    rng = np.random.default_rng(size)
    matrix = _unit(rng, size) if kind == "random" else _clustered(rng, size)
    # Queries: random ones, and ones near a stored vector (a request like an earlier one).
    near = matrix[rng.integers(0, size, QUERIES)] + 0.5 * _unit(rng, QUERIES)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    queries = np.vstack([_unit(rng, QUERIES), near])

    brute_times, exact = [], []
    for query in queries:
        started = time.perf_counter()
        best = _brute(matrix, query, OVERFETCH)
        brute_times.append(time.perf_counter() - started)
        exact.append(best[:TOP].tolist())
    print(
        f"{kind} {size:,}: brute force {matrix.nbytes / 1e6:.0f} MB, query"
        f" {_median_ms(brute_times):.1f} ms (median)",
        flush=True,
    )
    started, cpu = time.perf_counter(), time.process_time()
    index = ann_index_build(np.arange(size, dtype=np.uint64), matrix, dtype=dtype)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu

    index_times, found = [], []
    for query in queries:
        started = time.perf_counter()
        matches = index.search(query, OVERFETCH)
        index_times.append(time.perf_counter() - started)
        found.append(matches.keys[:TOP].tolist())
    recall = [len(set(e) & set(f)) / TOP for e, f in zip(exact, found, strict=True)]
    first = [e[0] == f[0] for e, f in zip(exact, found, strict=True)]
    return {
        "size": size,
        "brute_ms": _median_ms(brute_times),
        "matrix_mb": matrix.nbytes / 1e6,
        "build_s": build,
        "build_cpu_s": build_cpu,
        "index_mb": index.memory_usage / 1e6,
        "index_ms": _median_ms(index_times),
        "recall_random": statistics.mean(recall[:QUERIES]),
        "recall_near": statistics.mean(recall[QUERIES:]),
        "first_near": statistics.mean(first[QUERIES:]),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-not-a-secret")
    import django

    django.setup()
    args = sys.argv[1:]
    dtype = "f16"
    if "--dtype" in args:
        dtype = args[args.index("--dtype") + 1]
        args = [a for a in args if a not in ("--dtype", dtype)]
    kind = "clustered" if "--clustered" in args else "random"
    args = [a for a in args if a != "--clustered"]
    sizes = [int(a) for a in args] or [100_000]
    print(
        f"| vectors ({kind}) | brute force: matrix MB | query ms | usearch ({dtype}): build s"
        " (CPU s) | MB | query ms | recall@10, random queries | recall@10, near | nearest"
        " found, near |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        r = measure(size, dtype, kind)
        print(
            f"| {size:,} | {r['matrix_mb']:.0f} | {r['brute_ms']:.1f} | {r['build_s']:.0f}"
            f" ({r['build_cpu_s']:.0f}) | {r['index_mb']:.0f} | {r['index_ms']:.2f}"
            f" | {r['recall_random']:.3f} | {r['recall_near']:.3f} | {r['first_near']:.2f} |",
            flush=True,
        )
        print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
