"""What the search index reads and writes of customers and products: their stored keys.

The index is built from every row at start, so the read is lean: the keys as raw JSON text
(decoded by the caller, far cheaper than a typed column row by row) and the few columns a
search result shows. What keys are computed from is read only for rows whose keys are missing
or of an older version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Text, cast, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from storage.models import Customer, Product

Searchable = type[Customer] | type[Product]

SHOWN: dict[Any, tuple[Any, ...]] = {
    Customer: (Customer.owner_id, Customer.legal_name),
    Product: (
        Product.sku,
        Product.name,
        Product.category,
        Product.specs,
        Product.price,
        Product.unit,
    ),
}
"""Per table, what the search service keeps of a row besides its keys (a product's listing)."""
KEY_INPUTS: dict[Any, tuple[Any, ...]] = {
    Customer: (Customer.legal_name, Customer.aliases, Customer.phone, Customer.region),
    Product: (Product.sku, Product.name, Product.category, Product.specs),
}
"""Per table, the columns its keys are computed from."""


def _stamp(model: Searchable) -> Any:
    """`updated_at` as the driver returns it (text on SQLite), compared for equality only: a
    look re-reads the stamps of every row changed recently, tens of thousands after an import,
    and converting each to a datetime cost more than reading it."""
    return type_coerce(model.updated_at, NullType()).label("stamp")


def _indexed(model: Searchable) -> tuple[Any, ...]:
    return (
        model.id,
        *SHOWN[model],
        cast(model.search_keys, Text).label("keys_json"),
        model.search_keys_version,
        model.updated_at,
        _stamp(model),
    )


async def key_batches(
    *, session: AsyncSession, model: Searchable, batch: int = 2_000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every row's keys, streamed in batches so a large table never sits in memory."""
    statement = select(*_indexed(model)).order_by(model.id)
    result = await session.stream(statement.execution_options(yield_per=batch))
    async for rows in result.partitions():
        yield rows


async def key_rows(
    *, session: AsyncSession, model: Searchable, ids: Sequence[int]
) -> list[Row[Any]]:
    return list(await session.execute(select(*_indexed(model)).where(model.id.in_(ids))))


async def key_inputs(
    *, session: AsyncSession, model: Searchable, ids: Sequence[int]
) -> dict[int, Row[Any]]:
    """What the keys of these rows are computed from."""
    statement = select(model.id, *KEY_INPUTS[model]).where(model.id.in_(ids))
    return {row.id: row for row in await session.execute(statement)}


async def changed_rows(
    *, session: AsyncSession, model: Searchable, since: datetime
) -> list[Row[Any]]:
    """`(id, stamp)` of the rows changed since a moment: cheap, no keys read."""
    statement = select(model.id, _stamp(model)).where(model.updated_at >= since)
    return list(await session.execute(statement))


async def store_keys(
    *,
    session: AsyncSession,
    model: Searchable,
    keys: list[tuple[int, dict[str, Any], datetime]],
    version: int,
) -> None:
    """Write recomputed keys, keeping updated_at: the row itself did not change.

    Each item is (id, keys, the row's updated_at as read).
    """
    if keys:
        await session.execute(
            update(model).execution_options(synchronize_session=False),
            [
                {
                    "id": row_id,
                    "search_keys": value,
                    "search_keys_version": version,
                    "updated_at": updated_at,
                }
                for row_id, value, updated_at in keys
            ],
        )
