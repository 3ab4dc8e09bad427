"""The push outbox: due rows claimed by one worker, leases that expire, sent once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import unit_of_work
from storage.models import Push, Role, User
from storage.queries.pushes import (
    CLAIM_LEASE,
    claim_pushes,
    enqueue_push,
    mark_pushed,
    release_pushes,
)

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture
async def user_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(sessions) as session:
        user = User(name="王磊", role=Role.REP, managed_teams=[])
        session.add(user)
        await session.flush()
        return user.id


async def _enqueue(
    sessions: async_sessionmaker[AsyncSession], user_id: int, count: int, due: datetime = NOW
) -> list[int]:
    async with unit_of_work(sessions) as session:
        return [
            (
                await enqueue_push(
                    session=session, user_id=user_id, replies=[{"text": f"#{i}"}], due_at=due
                )
            ).id
            for i in range(count)
        ]


async def _claim(
    sessions: async_sessionmaker[AsyncSession], worker: str, now: datetime = NOW
) -> list[int]:
    async with unit_of_work(sessions) as session:
        return [push.id for push in await claim_pushes(session=session, worker=worker, now=now)]


async def test_pushes_due_push_is_claimed_by_one_worker(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    ids = await _enqueue(sessions, user_id, 2)

    assert await _claim(sessions, "a") == ids
    assert await _claim(sessions, "b") == []


async def test_pushes_not_yet_due_is_not_claimed(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    await _enqueue(sessions, user_id, 1, due=NOW + timedelta(minutes=1))

    assert await _claim(sessions, "a") == []
    assert len(await _claim(sessions, "a", now=NOW + timedelta(minutes=1))) == 1


async def test_pushes_expired_claim_is_taken_over(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    ids = await _enqueue(sessions, user_id, 1)
    await _claim(sessions, "died-mid-send")

    assert await _claim(sessions, "b", now=NOW + CLAIM_LEASE - timedelta(seconds=1)) == []
    assert await _claim(sessions, "b", now=NOW + CLAIM_LEASE + timedelta(seconds=1)) == ids
    async with sessions() as session:
        push = await session.get(Push, ids[0])
        assert (push.claimed_by, push.attempts) == ("b", 2)


async def test_pushes_marked_sent_is_never_claimed_again(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    ids = await _enqueue(sessions, user_id, 1)
    await _claim(sessions, "a")
    async with unit_of_work(sessions) as session:
        await mark_pushed(session=session, push_ids=ids, now=NOW)

    assert await _claim(sessions, "b", now=NOW + timedelta(days=1)) == []


async def test_pushes_released_push_is_claimed_again(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    ids = await _enqueue(sessions, user_id, 1)
    await _claim(sessions, "a")
    async with unit_of_work(sessions) as session:
        await release_pushes(session=session, push_ids=ids)

    assert await _claim(sessions, "b") == ids


async def test_pushes_concurrent_workers_never_share_a_push(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    ids = await _enqueue(sessions, user_id, 30)

    claims = await asyncio.gather(*(_claim(sessions, f"worker-{n}") for n in range(4)))

    claimed = [push_id for claim in claims for push_id in claim]
    assert sorted(claimed) == ids  # every push once, none twice


async def test_pushes_claim_for_other_users_only_skips_them(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    await _enqueue(sessions, user_id, 1)

    async with unit_of_work(sessions) as session:
        claimed = await claim_pushes(
            session=session, worker="a", now=NOW, user_ids=[user_id + 1000]
        )

    assert claimed == []
    assert len(await _claim(sessions, "a")) == 1
