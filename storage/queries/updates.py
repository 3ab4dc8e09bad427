"""De-duplication of platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def claim_update(*, session: AsyncSession, platform: str, update_id: str) -> bool:
    """Record the update in this transaction; False when it was already recorded.

    The row commits with the update's effects, so a crash before commit lets a redelivery
    through, and a concurrent redelivery waits on the key and then sees the conflict.
    """
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ProcessedUpdate)
        .values(platform=platform, update_id=update_id)
        .on_conflict_do_nothing()
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def forget_updates_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Drop old keys; platforms stop redelivering after minutes, so days is plenty."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
    )
    return result.rowcount or 0
