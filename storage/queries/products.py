"""Products."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Product


async def products_named_like(
    *, session: AsyncSession, words: list[str], limit: int = 5
) -> list[Product]:
    """Products whose name or SKU contains every word (a plain substring check)."""
    if not words:
        return []
    matches = (
        or_(
            Product.name.icontains(word, autoescape=True),
            Product.sku.icontains(word, autoescape=True),
        )
        for word in words
    )
    return list(
        await session.scalars(
            select(Product)
            .where(*matches)
            .order_by(func.length(Product.name), Product.id)
            .limit(limit)
        )
    )


async def product_key_rows(
    *, session: AsyncSession, changed_since: datetime | None = None
) -> list[Row[Any]]:
    """What the search index needs of each product (changed since a time, or all)."""
    statement = select(
        Product.id,
        Product.sku,
        Product.name,
        Product.category,
        Product.specs,
        Product.search_keys,
        Product.search_keys_version,
        Product.updated_at,
    ).order_by(Product.id)
    if changed_since is not None:
        statement = statement.where(Product.updated_at >= changed_since)
    return list(await session.execute(statement))


async def store_product_keys(
    *, session: AsyncSession, keys: list[tuple[int, dict[str, Any], datetime]], version: int
) -> None:
    """Write recomputed keys, keeping updated_at: the row itself did not change.

    Each item is (id, keys, the row's updated_at as read).
    """
    if keys:
        await session.execute(
            update(Product).execution_options(synchronize_session=False),
            [
                {
                    "id": product_id,
                    "search_keys": value,
                    "search_keys_version": version,
                    "updated_at": updated_at,
                }
                for product_id, value, updated_at in keys
            ],
        )


async def get_product(*, session: AsyncSession, product_id: int) -> Product | None:
    return await session.get(Product, product_id)


async def products_by_ids(*, session: AsyncSession, ids: list[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(ids)))
    return {product.id: product for product in rows}


async def products_in_category(*, session: AsyncSession, category: str | None) -> list[Product]:
    return list(
        await session.scalars(
            select(Product).where(Product.category == category).order_by(Product.id)
        )
    )
