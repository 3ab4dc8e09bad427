"""De-duplication keys: an update is claimed once per platform, and only when committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import unit_of_work
from storage.models import ProcessedUpdate
from storage.queries.updates import claim_update, forget_updates_before
from tests.support import count_rows


async def _claim(
    sessions: async_sessionmaker[AsyncSession], platform: str, update_id: str
) -> bool:
    async with unit_of_work(sessions) as session:
        return await claim_update(session=session, platform=platform, update_id=update_id)


async def test_updates_second_claim_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _claim(sessions, "telegram", "1001")
    assert not await _claim(sessions, "telegram", "1001")
    assert await count_rows(sessions, ProcessedUpdate) == 1


async def test_updates_same_id_on_other_platform_is_claimed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _claim(sessions, "telegram", "1001")
    assert await _claim(sessions, "wecom", "1001")


async def test_updates_rolled_back_claim_lets_redelivery_through(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            assert await claim_update(session=session, platform="telegram", update_id="7")
            raise RuntimeError("the handler failed")

    assert await _claim(sessions, "telegram", "7")


async def test_updates_concurrent_claims_only_one_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(*(_claim(sessions, "wecom", "msg-9") for _ in range(5)))

    assert sorted(results) == [False, False, False, False, True]
    assert await count_rows(sessions, ProcessedUpdate) == 1


async def test_updates_forget_drops_only_old_keys(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    async with unit_of_work(sessions) as session:
        session.add(ProcessedUpdate(platform="telegram", update_id="old", processed_at=now))
        session.add(
            ProcessedUpdate(
                platform="telegram", update_id="new", processed_at=now + timedelta(days=3)
            )
        )

    async with unit_of_work(sessions) as session:
        forgotten = await forget_updates_before(session=session, cutoff=now + timedelta(days=1))

    assert forgotten == 1
    assert await _claim(sessions, "telegram", "old")
    assert not await _claim(sessions, "telegram", "new")
