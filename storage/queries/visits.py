"""Visits, their order lines, and daily visit plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Product, Visit, VisitOrder, VisitPlan


async def add_visit(*, session: AsyncSession, visit: Visit) -> Visit:
    session.add(visit)
    await session.flush()
    return visit


async def get_visit(*, session: AsyncSession, visit_id: int) -> Visit | None:
    return await session.get(Visit, visit_id)


async def delete_visit(*, session: AsyncSession, visit: Visit) -> None:
    await session.delete(visit)
    await session.flush()


async def visits_of_customer(
    *, session: AsyncSession, customer_id: int, limit: int, offset: int = 0
) -> list[Visit]:
    """The customer's visits, newest first."""
    return list(
        await session.scalars(
            select(Visit)
            .where(Visit.customer_id == customer_id)
            .order_by(Visit.visited_at.desc(), Visit.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


async def count_visits_of_customer(*, session: AsyncSession, customer_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Visit).where(Visit.customer_id == customer_id)
        )
        or 0
    )


async def visits_by_reps(
    *, session: AsyncSession, rep_ids: list[int], start: datetime, end: datetime
) -> list[Visit]:
    """Visits of these reps in [start, end), oldest first."""
    return list(
        await session.scalars(
            select(Visit)
            .where(Visit.rep_id.in_(rep_ids), Visit.visited_at >= start, Visit.visited_at < end)
            .order_by(Visit.visited_at, Visit.id)
        )
    )


async def customer_totals(*, session: AsyncSession, customer_id: int) -> tuple[Decimal, Decimal]:
    """Order amounts and money collected over all the customer's visits."""
    ordered = await session.scalar(
        select(func.coalesce(func.sum(VisitOrder.amount), 0))
        .join(Visit, Visit.id == VisitOrder.visit_id)
        .where(Visit.customer_id == customer_id)
    )
    collected = await session.scalar(
        select(func.coalesce(func.sum(Visit.collected_amount), 0)).where(
            Visit.customer_id == customer_id
        )
    )
    return Decimal(ordered or 0), Decimal(collected or 0)


async def last_order(*, session: AsyncSession, customer_id: int) -> Visit | None:
    """The newest visit that took an order."""
    return await session.scalar(
        select(Visit)
        .where(Visit.customer_id == customer_id, Visit.orders.any())
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(1)
    )


async def products_by_sku(*, session: AsyncSession, skus: list[str]) -> dict[str, Product]:
    if not skus:
        return {}
    found = await session.scalars(select(Product).where(Product.sku.in_(skus)))
    return {product.sku: product for product in found}


async def get_plan(*, session: AsyncSession, rep_id: int, plan_date: date) -> VisitPlan | None:
    return await session.scalar(
        select(VisitPlan).where(VisitPlan.rep_id == rep_id, VisitPlan.plan_date == plan_date)
    )


async def save_plan(*, session: AsyncSession, plan: VisitPlan) -> VisitPlan:
    session.add(plan)
    await session.flush()
    return plan
