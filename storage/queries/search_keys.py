"""What the search index reads and writes of customers and products: their stored keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Customer, Product

Searchable = type[Customer] | type[Product]

KEY_INPUTS: dict[Any, tuple[InstrumentedAttribute[Any], ...]] = {
    Customer: (
        Customer.legal_name,
        Customer.aliases,
        Customer.phone,
        Customer.region,
        Customer.owner_id,
    ),
    Product: (Product.sku, Product.name, Product.category, Product.specs),
}
"""Per table, the columns keys are computed from (and shown with), besides id and keys."""


def _columns(model: Searchable) -> tuple[Any, ...]:
    return (
        model.id,
        *KEY_INPUTS[model],
        model.search_keys,
        model.search_keys_version,
        model.updated_at,
    )


async def key_batches(
    *, session: AsyncSession, model: Searchable, batch: int = 2_000
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every row's keys and inputs, streamed in batches so a large table never sits in memory."""
    statement = select(*_columns(model)).order_by(model.id)
    result = await session.stream(statement.execution_options(yield_per=batch))
    async for rows in result.partitions():
        yield rows


async def key_rows(
    *, session: AsyncSession, model: Searchable, ids: Sequence[int]
) -> list[Row[Any]]:
    return list(await session.execute(select(*_columns(model)).where(model.id.in_(ids))))


async def changed_rows(
    *, session: AsyncSession, model: Searchable, since: datetime
) -> list[Row[Any]]:
    """`(id, updated_at)` of the rows changed since a moment: cheap, no keys read."""
    statement = select(model.id, model.updated_at).where(model.updated_at >= since)
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
