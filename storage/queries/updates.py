"""De-duplication of platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

_PROCESSED = ProcessedUpdate.__table__
_CLAIM = {
    dialect: insert(_PROCESSED)
    .values(platform=bindparam("platform"), update_id=bindparam("update_id"))
    .on_conflict_do_nothing()
    .returning(_PROCESSED.c.update_id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
"""Built once, on the table rather than the mapped class: every update runs it, and the ORM's
bulk-insert path costs more than the insert itself (see `storage.queries`)."""


async def claim_update(*, session: AsyncSession, platform: str, update_id: str) -> bool:
    """Record the update in this transaction; False when it was already recorded.

    The row commits with the update's effects, so a crash before commit lets a redelivery
    through, and a concurrent redelivery waits on the key and then sees the conflict.
    """
    statement = _CLAIM[session.bind.dialect.name]
    parameters = {"platform": platform, "update_id": update_id}
    return (await session.execute(statement, parameters)).first() is not None


async def forget_updates_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Drop old keys; platforms stop redelivering after minutes, so days is plenty."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
    )
    return result.rowcount or 0
