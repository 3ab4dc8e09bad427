"""Recall and latency of the search service on the labelled queries.

The rows go through the project's own import path (key computation included) into a fresh
SQLite database; a separate process then builds the index from the stored keys as the bot does
at start, and every query goes through the entry point the chat uses. With --baselines, SQLite
LIKE and rapidfuzz WRatio are measured in the same run.

    python bench/search_eval.py --customers customers_100k.csv --rows 10000 \\
        --products products.csv --queries queries_visible.jsonl [--baselines] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bot.services.importer import (
    import_customers,
    import_products,
    read_customer_csv,
    read_product_csv,
)
from bot.services.search.service import SearchService
from storage.engine import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import Customer, Product, Role, User

Search = Callable[[str], Awaitable[list[str]]]

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


async def evaluate(
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
        top = (await search(q["query"]))[:5]
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


async def _import(url: str, customers: Path, rows: int | None, products: Path) -> dict[str, float]:
    """Load rows the way an admin's import does, keys computed per row."""
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    try:
        customer_rows = read_customer_csv(customers, rows)
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            count = await import_customers(session=session, rows=customer_rows)
        customer_s = time.perf_counter() - start
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            await import_products(session=session, rows=read_product_csv(products))
            session.add(User(name="bench", role=Role.ADMIN, managed_teams=[]))
        return {
            "customers": count,
            "import_seconds": customer_s,
            "product_import_seconds": time.perf_counter() - start,
        }
    finally:
        await engine.dispose()


def _import_in_child(
    url: str, customers: Path, rows: int | None, products: Path, out: Any
) -> None:
    out.put(asyncio.run(_import(url, customers, rows, products)))


def import_elsewhere(url: str, customers: Path, rows: int | None, products: Path) -> dict:
    """Import in a child process, so this one's peak RSS is the bot's: index only."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_import_in_child, args=(url, customers, rows, products, out))
    child.start()
    figures = out.get()
    child.join()
    return figures


async def measure(args: argparse.Namespace, url: str, queries: list[dict[str, Any]]) -> dict:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    search = SearchService()
    try:
        gc.collect()
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            await search.load(session=session)
        build_s = time.perf_counter() - start
        rss = rss_mb()
        print(f"index build from stored keys {build_s:.2f} s  peak RSS {rss:.0f} MB")

        async with sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.name == "bench"))
            assert user is not None

            async def customers(query: str) -> list[str]:
                found = await search.find_customers(
                    session=session, query=query, user=user, others="name_only"
                )
                return [r.customer.legal_name for r in found.results]

            async def products(query: str) -> list[str]:
                found = await search.find_products(session=session, query=query)
                return [r.product.sku for r in found.results]

            dump: list[dict[str, Any]] | None = [] if args.dump else None
            results = await evaluate(queries, customers, products, dump)
            print_table("search service", results)
            report: dict[str, Any] = {"build_seconds": build_s, "rss_mb": rss, "search": results}
            if args.baselines:
                for label, figures in (await baselines(session, queries)).items():
                    print_table(f"baseline: {label}", figures)
                    report[f"baseline_{label}"] = figures
        if dump is not None:
            with args.dump.open("w", encoding="utf-8") as fh:
                for line in dump:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return report
    finally:
        await engine.dispose()


async def baselines(session: Any, queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """SQLite `LIKE '%q%'` on the name, and rapidfuzz WRatio over all names."""
    from rapidfuzz import fuzz, process

    names = list(await session.scalars(select(Customer.legal_name).order_by(Customer.id)))
    catalogue = list(await session.execute(select(Product.name, Product.sku).order_by(Product.id)))
    product_names = [name for name, _ in catalogue]
    skus = [sku for _, sku in catalogue]

    async def like_customers(q: str) -> list[str]:
        statement = select(Customer.legal_name).where(Customer.legal_name.contains(q)).limit(5)
        return list(await session.scalars(statement))

    async def like_products(q: str) -> list[str]:
        return list(
            await session.scalars(select(Product.sku).where(Product.name.contains(q)).limit(5))
        )

    def wratio(haystack: list[str], keys: list[str]) -> Search:
        async def run(q: str) -> list[str]:
            found = process.extract(q, haystack, scorer=fuzz.WRatio, limit=5)
            return [keys[i] for _, _, i in found]

        return run

    return {
        "like": await evaluate(queries, like_customers, like_products),
        "wratio": await evaluate(queries, wratio(names, names), wratio(product_names, skus)),
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

    queries = [json.loads(line) for line in args.queries.open(encoding="utf-8") if line.strip()]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        imported = import_elsewhere(url, args.customers, args.rows, args.products)
        print(
            f"customers: {imported['customers']:.0f}  import with key computation "
            f"{imported['import_seconds']:.1f} s  "
            f"(products {imported['product_import_seconds']:.1f} s)"
        )
        report = {**imported, **asyncio.run(measure(args, url, queries))}
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
