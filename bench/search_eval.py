"""Recall and latency of the search service on the labelled queries.

Standalone for now: keys are computed from the CSVs, kept as JSON text the way the database
stores them, and the indexes are rebuilt from that text. ``evaluate`` only needs two search
callables, so a database-backed loader can reuse it unchanged.

    python bench/search_eval.py --customers customers_100k.csv --rows 10000 \\
        --products products.csv --queries queries_visible.jsonl [--baselines] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.search import (
    CustomerIndex,
    CustomerRecord,
    ProductIndex,
    ProductRecord,
    customer_keys,
    product_keys,
)

Search = Callable[[str], list[str]]

INITIALS_K = 5
"""Up to three customers share initials at 100k, so initials are read at recall@5."""


@dataclass
class Tally:
    """Found-at-1, found-at-5 and latencies of one group of queries."""

    n: int = 0
    at1: int = 0
    at5: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, rank: int | None, elapsed_ms: float) -> None:
        self.n += 1
        self.at1 += rank == 0
        self.at5 += rank is not None and rank < 5
        self.ms.append(elapsed_ms)

    def row(self) -> dict[str, float]:
        ordered = sorted(self.ms)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0
        return {
            "n": self.n,
            "r@1": self.at1 / self.n if self.n else 0.0,
            "r@5": self.at5 / self.n if self.n else 0.0,
            "p50_ms": statistics.median(ordered) if ordered else 0.0,
            "p95_ms": p95,
        }


def rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def evaluate(
    queries: Iterable[dict[str, Any]],
    search_customer: Search,
    search_product: Search,
    dump: list[dict[str, Any]] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Run every query; return ``{entity: {kind | "all": row}}`` with recall and latency.

    A search callable returns answer keys (customer names, product SKUs) best first.
    """
    tallies: dict[str, dict[str, Tally]] = {}
    for q in queries:
        search = search_customer if q["entity"] == "customer" else search_product
        start = time.perf_counter()
        top = search(q["query"])[:5]
        elapsed = (time.perf_counter() - start) * 1000
        rank = next((i for i, answer in enumerate(top) if answer in q["accept"]), None)
        if q["kind"] == "initials" and rank is not None and rank < INITIALS_K:
            rank = 0  # read at recall@5: any of the first five counts as found
        by_kind = tallies.setdefault(q["entity"], {})
        by_kind.setdefault(q["kind"], Tally()).add(rank, elapsed)
        by_kind.setdefault("all", Tally()).add(rank, elapsed)
        if dump is not None:
            dump.append({"id": q["id"], "top5": top})
    return {
        entity: {kind: t.row() for kind, t in sorted(kinds.items())}
        for entity, kinds in tallies.items()
    }


def print_table(title: str, results: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"{'entity':<9}{'kind':<13}{'n':>5}{'r@1':>8}{'r@5':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for entity, kinds in results.items():
        for kind, row in sorted(kinds.items(), key=lambda kv: (kv[0] == "all", kv[0])):
            print(
                f"{entity:<9}{kind:<13}{row['n']:>5}{row['r@1']:>8.1%}{row['r@5']:>8.1%}"
                f"{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}"
            )


def load_customers(path: Path, rows: int | None) -> tuple[list[str], list[str], float]:
    """Names and stored-key JSON for the first ``rows`` customers, and the key time."""
    names: list[str] = []
    stored: list[str] = []
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if rows is not None and i >= rows:
                break
            aliases = [a for a in row["aliases"].split(";") if a]
            keys = customer_keys(row["name"], aliases, row["phone"], row["region"])
            names.append(row["name"])
            stored.append(json.dumps(keys, ensure_ascii=False, separators=(",", ":")))
    return names, stored, time.perf_counter() - start


def load_products(path: Path) -> tuple[list[str], list[str]]:
    skus: list[str] = []
    stored: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            keys = product_keys(row["sku"], row["name"], row["category"], row["specs"])
            skus.append(row["sku"])
            stored.append(json.dumps(keys, ensure_ascii=False, separators=(",", ":")))
    return skus, stored


def baselines(
    queries: Sequence[dict[str, Any]], names: list[str], skus: list[str], product_names: list[str]
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """Substring (stand-in for SQLite LIKE) and rapidfuzz WRatio over the names."""
    from rapidfuzz import fuzz, process

    def like(haystack: list[str], keys: list[str]) -> Search:
        return lambda q: [keys[i] for i, n in enumerate(haystack) if q in n][:5]

    def wratio(haystack: list[str], keys: list[str]) -> Search:
        def run(q: str) -> list[str]:
            found = process.extract(q, haystack, scorer=fuzz.WRatio, limit=5)
            return [keys[i] for _, _, i in found]

        return run

    return {
        "like": evaluate(queries, like(names, names), like(product_names, skus)),
        "wratio": evaluate(queries, wratio(names, names), wratio(product_names, skus)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=None, help="first N customers (default all)")
    parser.add_argument("--products", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--baselines", action="store_true", help="also run LIKE and WRatio")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--dump", type=Path, help="write each query's top 5 here (JSON lines)")
    args = parser.parse_args(argv)

    names, stored, key_s = load_customers(args.customers, args.rows)
    print(f"customers: {len(names)}  key computation {key_s:.1f} s")
    skus, product_stored = load_products(args.products)
    gc.collect()

    start = time.perf_counter()
    customers = CustomerIndex.build(
        CustomerRecord(id=i, keys=json.loads(k)) for i, k in enumerate(stored)
    )
    build_s = time.perf_counter() - start
    products = ProductIndex.build(
        ProductRecord(id=i, keys=json.loads(k), sku=skus[i]) for i, k in enumerate(product_stored)
    )
    del stored, product_stored
    gc.collect()
    rss = rss_mb()
    print(f"customer index build {build_s:.2f} s  peak RSS {rss:.0f} MB")

    queries = [json.loads(line) for line in args.queries.open(encoding="utf-8") if line.strip()]
    dump: list[dict[str, Any]] | None = [] if args.dump else None
    results = evaluate(
        queries,
        lambda q: [names[h.id] for h in customers.search(q)],
        lambda q: [skus[h.id] for h in products.search(q)],
        dump,
    )
    print_table("search service", results)
    report: dict[str, Any] = {
        "customers": len(names),
        "key_seconds": key_s,
        "build_seconds": build_s,
        "rss_mb": rss,
        "search": results,
    }
    if args.baselines:
        base = baselines(queries, names, skus, _product_names(args.products))
        for label, figures in base.items():
            print_table(f"baseline: {label}", figures)
            report[f"baseline_{label}"] = figures
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if dump is not None and args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for line in dump:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0


def _product_names(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["name"] for row in csv.DictReader(fh)]


if __name__ == "__main__":
    raise SystemExit(main())
