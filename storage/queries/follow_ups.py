"""Follow-ups: what a rep promised a customer, by when."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from storage.models import Customer, FollowUp, FollowUpStatus


async def add_follow_up(*, session: AsyncSession, follow_up: FollowUp) -> FollowUp:
    session.add(follow_up)
    await session.flush()
    return follow_up


async def get_follow_up(*, session: AsyncSession, follow_up_id: int) -> FollowUp | None:
    return await session.get(FollowUp, follow_up_id)


async def open_follow_up_of_visit(*, session: AsyncSession, visit_id: int) -> FollowUp | None:
    return await session.scalar(
        select(FollowUp).where(
            FollowUp.visit_id == visit_id, FollowUp.status == FollowUpStatus.OPEN
        )
    )


async def open_follow_ups_of_rep(
    *, session: AsyncSession, rep_id: int, until: date
) -> list[FollowUp]:
    """The rep's open follow-ups due on or before `until`, soonest first."""
    return list(
        await session.scalars(
            select(FollowUp)
            .where(
                FollowUp.rep_id == rep_id,
                FollowUp.status == FollowUpStatus.OPEN,
                FollowUp.due_on <= until,
            )
            .order_by(FollowUp.due_on, FollowUp.due_time, FollowUp.id)
        )
    )


_OPEN_OF_CUSTOMER = (
    select(FollowUp)
    .options(lazyload(FollowUp.customer))  # the caller's customer, from the identity map
    .where(
        FollowUp.customer_id == bindparam("customer_id"),
        FollowUp.status == FollowUpStatus.OPEN,
    )
    .order_by(FollowUp.due_on, FollowUp.id)
    .limit(bindparam("limit"))
)


async def open_follow_ups_of_customer(
    *, session: AsyncSession, customer: Customer, limit: int = 5
) -> list[FollowUp]:
    """The customer's open follow-ups, soonest first; each one's `customer` is the one given."""
    parameters = {"customer_id": customer.id, "limit": limit}
    return list(await session.scalars(_OPEN_OF_CUSTOMER, parameters))
