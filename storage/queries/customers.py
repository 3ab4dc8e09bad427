"""Customers and their contacts."""

from __future__ import annotations

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Customer


async def add_customer(*, session: AsyncSession, customer: Customer) -> Customer:
    session.add(customer)
    await session.flush()
    return customer


async def get_customer(*, session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def find_customer_by_name(*, session: AsyncSession, legal_name: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.legal_name == legal_name))


async def customers_named_like(
    *, session: AsyncSession, fragments: list[str], limit: int = 5
) -> list[Customer]:
    """Customers whose legal name contains any fragment (a plain substring check)."""
    if not fragments:
        return []
    return list(
        await session.scalars(
            select(Customer)
            .where(or_(*(Customer.legal_name.contains(fragment) for fragment in fragments)))
            .order_by(func.length(Customer.legal_name), Customer.id)
            .limit(limit)
        )
    )


async def customers_matching(
    *, session: AsyncSession, fragment: str, limit: int = 20
) -> list[Customer]:
    """Customers whose legal name or any alias contains `fragment`, case-insensitively.

    Aliases are JSON with escaped non-ASCII text, so they are compared in Python; this is the
    stand-in lookup the search index replaces.
    """
    pattern = f"%{fragment.replace('%', '').replace('_', '')}%"
    by_name = list(
        await session.scalars(
            select(Customer)
            .where(func.lower(Customer.legal_name).like(pattern))
            .order_by(func.length(Customer.legal_name), Customer.id)
            .limit(limit)
        )
    )
    with_aliases = await session.scalars(
        select(Customer).where(cast(Customer.aliases, String) != "[]").order_by(Customer.id)
    )
    seen = {customer.id for customer in by_name}
    by_alias = [
        customer
        for customer in with_aliases
        if customer.id not in seen
        and any(fragment in alias.casefold() for alias in customer.aliases)
    ]
    return (by_name + by_alias)[:limit]


async def add_contact(*, session: AsyncSession, contact: Contact) -> Contact:
    session.add(contact)
    await session.flush()
    return contact


async def count_customers(*, session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def customers_by_ids(*, session: AsyncSession, ids: list[int]) -> dict[int, Customer]:
    if not ids:
        return {}
    rows = await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    return {customer.id: customer for customer in rows}
