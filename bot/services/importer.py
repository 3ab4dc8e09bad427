"""Bulk import of customers and products: the one path every loader goes through.

The demo, the admin's spreadsheet import and the search benchmark all load rows here, so the
search keys they get are the ones the chat will use.
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.search.service import KEY_SPECS
from storage.models import Contact, Customer, Grade, Product

BATCH = 2_000
"""Rows per INSERT: large enough to amortise round trips, small enough for SQLite's limits."""


@dataclass(frozen=True, slots=True)
class CustomerRow:
    legal_name: str
    aliases: tuple[str, ...] = ()
    grade: str = "C"
    industry: str | None = None
    region: str | None = None
    address: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    contact_title: str | None = None


@dataclass(frozen=True, slots=True)
class ProductRow:
    sku: str
    name: str
    category: str | None
    specs: dict[str, str]
    price: Decimal | None
    unit: str | None


def read_customer_csv(path: Path, limit: int | None = None) -> list[CustomerRow]:
    """Read the shared customer format: name,aliases,grade,industry,region,address,phone,…"""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = islice(csv.DictReader(handle), limit)
        return [
            CustomerRow(
                legal_name=row["name"].strip(),
                aliases=_split_aliases(row.get("aliases")),
                grade=(row.get("grade") or "C").strip().upper(),
                industry=row.get("industry") or None,
                region=row.get("region") or None,
                address=row.get("address") or None,
                phone=row.get("phone") or None,
                contact_name=row.get("contact_name") or None,
                contact_title=row.get("contact_title") or None,
            )
            for row in rows
        ]


def _split_aliases(text: str | None) -> tuple[str, ...]:
    return tuple(alias.strip() for alias in (text or "").split(";") if alias.strip())


def parse_specs(text: str) -> dict[str, str]:
    """`等级:F1;标称值:20kg` → {"等级": "F1", "标称值": "20kg"}."""
    pairs = (item.split(":", 1) for item in text.split(";") if ":" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def read_product_csv(path: Path) -> list[ProductRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            ProductRow(
                sku=row["sku"].strip(),
                name=row["name"].strip(),
                category=row.get("category") or None,
                specs=parse_specs(row.get("specs") or ""),
                price=_price(row.get("price")),
                unit=row.get("unit") or None,
            )
            for row in csv.DictReader(handle)
        ]


def _price(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


PARALLEL_FROM = 5_000
"""Rows from which worker processes pay for their start-up (about a second) several times."""


def customer_keys_of(rows: list[CustomerRow]) -> list[dict[str, Any]]:
    """Keys for a batch of rows; module-level so a worker process can run it."""
    return [KEY_SPECS[Customer].compute(row) for row in rows]


async def _with_customer_keys(
    rows: list[CustomerRow],
) -> AsyncIterator[tuple[list[CustomerRow], list[dict[str, Any]]]]:
    batches = list(_batches(rows))
    if len(rows) < PARALLEL_FROM:
        for batch in batches:
            yield batch, customer_keys_of(batch)
        return
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
        pending = [loop.run_in_executor(pool, customer_keys_of, batch) for batch in batches]
        for batch, keys in zip(batches, pending, strict=True):
            yield batch, await keys


async def import_customers(
    *,
    session: AsyncSession,
    rows: Iterable[CustomerRow],
    owner_of: Callable[[int, CustomerRow], int | None] = lambda _i, _row: None,
    source: str = "import",
) -> int:
    """Insert customers (and their first contact) in batches; returns how many.

    Search keys are computed per row (the costly part: pinyin and name splitting), in worker
    processes for a large import while this one writes the batches already done.
    """
    count = 0
    async for batch, keys in _with_customer_keys(list(rows)):
        values = [
            {
                "legal_name": row.legal_name,
                "aliases": list(row.aliases),
                "grade": Grade(row.grade) if row.grade in Grade.__members__ else Grade.C,
                "industry": row.industry,
                "region": row.region,
                "address": row.address,
                "phone": row.phone,
                "owner_id": owner_of(count + offset, row),
                "source": source,
                "search_keys": row_keys,
                "search_keys_version": KEY_SPECS[Customer].version,
            }
            for offset, (row, row_keys) in enumerate(zip(batch, keys, strict=True))
        ]
        ids = list(
            await session.scalars(
                insert(Customer).returning(Customer.id, sort_by_parameter_order=True), values
            )
        )
        contacts = [
            {"customer_id": customer_id, "name": row.contact_name, "title": row.contact_title}
            for customer_id, row in zip(ids, batch, strict=True)
            if row.contact_name
        ]
        if contacts:
            await session.execute(insert(Contact), contacts)
        count += len(batch)
    return count


async def import_products(*, session: AsyncSession, rows: Iterable[ProductRow]) -> int:
    count = 0
    for batch in _batches(rows):
        values = [
            {
                "sku": row.sku,
                "name": row.name,
                "category": row.category,
                "specs": row.specs,
                "price": row.price,
                "unit": row.unit,
                "search_keys": KEY_SPECS[Product].compute(row),
                "search_keys_version": KEY_SPECS[Product].version,
            }
            for row in batch
        ]
        await session.execute(insert(Product), values)
        count += len(batch)
    return count
