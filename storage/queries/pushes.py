"""The push outbox: rows with a due time, claimed once, sent, marked done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Push

CLAIM_LEASE = timedelta(minutes=5)
"""A claim older than this belongs to a worker that died mid-send; another may take it."""


async def enqueue_push(
    *, session: AsyncSession, user_id: int, replies: list[dict[str, Any]], due_at: datetime
) -> Push:
    push = Push(user_id=user_id, replies=replies, due_at=due_at)
    session.add(push)
    await session.flush()
    return push


async def claim_pushes(
    *,
    session: AsyncSession,
    worker: str,
    now: datetime,
    user_ids: list[int] | None = None,
    limit: int = 50,
) -> list[Push]:
    """Claim due, unclaimed pushes for this worker; another worker never gets the same row.

    PostgreSQL skips rows another worker holds; SQLite serialises writers (BEGIN IMMEDIATE),
    so the guarded UPDATE below is enough there.
    """
    claimable = or_(Push.claimed_by.is_(None), Push.claimed_at < now - CLAIM_LEASE)
    candidates = (
        select(Push.id)
        .where(Push.sent_at.is_(None), claimable, Push.due_at <= now)
        .order_by(Push.due_at, Push.id)
        .limit(limit)
    )
    if user_ids is not None:
        candidates = candidates.where(Push.user_id.in_(user_ids))
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(await session.scalars(candidates))
    if not ids:
        return []
    await session.execute(
        update(Push)
        .where(Push.id.in_(ids), Push.sent_at.is_(None), claimable)
        .values(claimed_by=worker, claimed_at=now, attempts=Push.attempts + 1)
    )
    return list(
        await session.scalars(
            select(Push)
            .where(Push.id.in_(ids), Push.claimed_by == worker)
            .order_by(Push.due_at, Push.id)
            .execution_options(populate_existing=True)
        )
    )


async def mark_pushed(*, session: AsyncSession, push_ids: list[int], now: datetime) -> None:
    await session.execute(update(Push).where(Push.id.in_(push_ids)).values(sent_at=now))


async def release_pushes(*, session: AsyncSession, push_ids: list[int]) -> None:
    """Hand pushes back for a later try (the channel could not deliver them now)."""
    await session.execute(
        update(Push).where(Push.id.in_(push_ids)).values(claimed_by=None, claimed_at=None)
    )
