"""Customers and their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, cast, func, or_, select, update
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


async def customer_key_rows(
    *, session: AsyncSession, changed_since: datetime | None = None
) -> list[Row[Any]]:
    """What the search index needs of each customer (changed since a time, or all)."""
    statement = select(
        Customer.id,
        Customer.legal_name,
        Customer.aliases,
        Customer.phone,
        Customer.region,
        Customer.owner_id,
        Customer.search_keys,
        Customer.search_keys_version,
        Customer.updated_at,
    ).order_by(Customer.id)
    if changed_since is not None:
        statement = statement.where(Customer.updated_at >= changed_since)
    return list(await session.execute(statement))


async def store_customer_keys(
    *, session: AsyncSession, keys: list[tuple[int, dict[str, Any], datetime]], version: int
) -> None:
    """Write recomputed keys, keeping updated_at: the row itself did not change.

    Each item is (id, keys, the row's updated_at as read).
    """
    if keys:
        await session.execute(
            update(Customer).execution_options(synchronize_session=False),
            [
                {
                    "id": customer_id,
                    "search_keys": value,
                    "search_keys_version": version,
                    "updated_at": updated_at,
                }
                for customer_id, value, updated_at in keys
            ],
        )


async def customers_by_ids(*, session: AsyncSession, ids: list[int]) -> dict[int, Customer]:
    if not ids:
        return {}
    rows = await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    return {customer.id: customer for customer in rows}
