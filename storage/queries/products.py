"""Products."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Product


async def get_product(*, session: AsyncSession, product_id: int) -> Product | None:
    return await session.get(Product, product_id)


_BY_IDS = select(Product).where(Product.id.in_(bindparam("ids", expanding=True)))


async def products_by_ids(*, session: AsyncSession, ids: list[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = await session.scalars(_BY_IDS, {"ids": ids})
    return {product.id: product for product in rows}


async def products_in_category(*, session: AsyncSession, category: str | None) -> list[Product]:
    return list(
        await session.scalars(
            select(Product).where(Product.category == category).order_by(Product.id)
        )
    )
