"""Users, teams and invites in storage: atomic invite uses, teams made once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import unit_of_work
from storage.models import Invite, Role, Team
from storage.queries.users import add_invite, get_or_create_team, take_invite_use
from tests.support import count_rows

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def _invite(
    sessions: async_sessionmaker[AsyncSession], code: str, uses: int, expires: datetime
) -> None:
    async with unit_of_work(sessions) as session:
        await add_invite(
            session=session,
            invite=Invite(code=code, role=Role.REP, expires_at=expires, uses_left=uses),
        )


async def _take(
    sessions: async_sessionmaker[AsyncSession], code: str, now: datetime = NOW
) -> bool:
    async with unit_of_work(sessions) as session:
        return await take_invite_use(session=session, code=code, now=now)


async def _uses_left(sessions: async_sessionmaker[AsyncSession], code: str) -> int:
    async with sessions() as session:
        return await session.scalar(select(Invite.uses_left).where(Invite.code == code)) or 0


async def test_users_invite_use_is_taken_until_none_left(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(sessions, "TWOUSES2", 2, NOW + timedelta(days=1))

    assert [await _take(sessions, "TWOUSES2") for _ in range(3)] == [True, True, False]
    assert await _uses_left(sessions, "TWOUSES2") == 0


async def test_users_expired_invite_use_is_refused_and_unchanged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(sessions, "EXPIRED2", 1, NOW)

    assert not await _take(sessions, "EXPIRED2", now=NOW)
    assert await _uses_left(sessions, "EXPIRED2") == 1


async def test_users_concurrent_invite_uses_only_one_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(sessions, "ONCEONLY", 1, NOW + timedelta(days=1))

    results = await asyncio.gather(*(_take(sessions, "ONCEONLY") for _ in range(8)))

    assert results.count(True) == 1
    assert await _uses_left(sessions, "ONCEONLY") == 0


async def test_users_concurrent_get_or_create_team_makes_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def make() -> int:
        async with unit_of_work(sessions) as session:
            team = await get_or_create_team(session=session, name="西南组")
            await asyncio.sleep(0.001)
            return team.id

    ids = await asyncio.gather(*(make() for _ in range(10)))

    assert len(set(ids)) == 1
    assert await count_rows(sessions, Team) == 1
