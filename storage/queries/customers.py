"""Customers and their contacts."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import Customer


async def add_customer(*, session: AsyncSession, customer: Customer) -> Customer:
    session.add(customer)
    await session.flush()
    return customer


async def get_customer(*, session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def find_customer_by_name(*, session: AsyncSession, legal_name: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.legal_name == legal_name))


async def count_customers(*, session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Customer)) or 0


_BY_IDS = (
    select(Customer)
    .options(joinedload(Customer.contacts))
    .where(Customer.id.in_(bindparam("ids", expanding=True)))
)


async def customers_by_ids(*, session: AsyncSession, ids: list[int]) -> dict[int, Customer]:
    """Customers with their contacts in one round trip: a search result may open its card."""
    if not ids:
        return {}
    rows = await session.scalars(_BY_IDS, {"ids": ids})
    return {customer.id: customer for customer in rows.unique()}
