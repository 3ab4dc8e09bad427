"""Visits, their order lines, and daily visit plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Customer, Product, Visit, VisitOrder, VisitPlan


async def add_visit(*, session: AsyncSession, visit: Visit) -> Visit:
    session.add(visit)
    await session.flush()
    return visit


async def get_visit(*, session: AsyncSession, visit_id: int) -> Visit | None:
    return await session.get(Visit, visit_id)


async def delete_visit(*, session: AsyncSession, visit: Visit) -> None:
    await session.delete(visit)
    await session.flush()


_OF_CUSTOMER = (
    select(Visit)
    .where(Visit.customer_id == bindparam("customer_id"))
    .order_by(Visit.visited_at.desc(), Visit.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


async def visits_of_customer(
    *, session: AsyncSession, customer_id: int, limit: int, offset: int = 0
) -> list[Visit]:
    """The customer's visits, newest first."""
    parameters = {"customer_id": customer_id, "limit": limit, "offset": offset}
    return list(await session.scalars(_OF_CUSTOMER, parameters))


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


_ORDERED = (
    select(func.coalesce(func.sum(VisitOrder.amount), 0))
    .join(Visit, Visit.id == VisitOrder.visit_id)
    .where(Visit.customer_id == bindparam("customer_id"))
    .scalar_subquery()
)
_SUMMARY = select(
    func.count(Visit.id),
    _ORDERED,
    func.coalesce(func.sum(Visit.collected_amount), 0),
    func.max(Visit.visited_at),
).where(Visit.customer_id == bindparam("customer_id"))


class VisitEntry(NamedTuple):
    """A visit as a customer's history lists it: one line each."""

    id: int
    visited_at: datetime
    purpose: str | None
    outcome: str | None
    next_step: str | None


class VisitPage(NamedTuple):
    """A page of a customer's visits, newest first, and the totals over all of them."""

    visits: list[VisitEntry]
    total: int
    ordered: Decimal
    collected: Decimal
    last_visited_at: datetime | None
    """The newest visit's time, whichever page this is (the card's cadence line)."""

    @classmethod
    def of(
        cls, visits: list[VisitEntry], total: Any, ordered: Any, collected: Any, last: Any
    ) -> VisitPage:
        """From the totals as a statement returns them, in the fields' order."""
        return cls(visits, int(total), Decimal(ordered or 0), Decimal(collected or 0), last)


_PAGE = (
    select(
        Visit.id,
        Visit.visited_at,
        Visit.purpose,
        Visit.outcome,
        Visit.next_step,
        func.count().over(),
        _ORDERED,
        func.coalesce(func.sum(Visit.collected_amount).over(), 0),
        func.max(Visit.visited_at).over(),
    )
    .where(Visit.customer_id == bindparam("customer_id"))
    .order_by(Visit.visited_at.desc(), Visit.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


async def visit_page_of_customer(
    *, session: AsyncSession, customer: Customer, limit: int, offset: int = 0
) -> VisitPage:
    """The card's history in one round trip: the window functions count and sum over every
    visit before the page is cut. Only a page past the end needs the totals asked apart.

    The lines are columns, not visits: a visit loads its rep, contacts and orders (two more
    queries), and the card shows none of them.
    """
    parameters = {"customer_id": customer.id, "limit": limit, "offset": offset}
    rows = (await session.execute(_PAGE, parameters)).all()
    if rows:
        columns = len(VisitEntry._fields)
        visits = [VisitEntry(*row[:columns]) for row in rows]
        return VisitPage.of(visits, *rows[0][columns:])
    if offset == 0:
        return VisitPage.of([], 0, 0, 0, None)
    return VisitPage.of([], *(await session.execute(_SUMMARY, parameters)).one())


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
