"""Engine and unit-of-work setup: concurrent writers lose nothing on either database."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import create_engine, create_session_factory, is_sqlite, unit_of_work
from storage.models import Invite, Role, Team

WRITERS = 20


async def test_engine_concurrent_read_modify_write_loses_nothing(db_url: str) -> None:
    """20 transactions from two workers each read a counter, yield, and write it plus one.

    SQLite's deferred transactions would lose updates here or fail with "database is locked";
    `BEGIN IMMEDIATE` serialises them. PostgreSQL needs the row lock of `FOR UPDATE`. Two
    engines stand for two worker processes: within one, SQLite transactions also queue for
    the single pooled connection, which alone would hide a missing `BEGIN IMMEDIATE`.
    """
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    other_engine = create_engine(db_url)
    other_worker = create_session_factory(other_engine)
    try:
        async with unit_of_work(sessions) as session:
            session.add(
                Invite(
                    code="COUNTER",
                    role=Role.REP,
                    expires_at=datetime(2030, 1, 1, tzinfo=UTC),
                    uses_left=0,
                )
            )

        async def increment(worker: async_sessionmaker[AsyncSession]) -> None:
            async with unit_of_work(worker) as session:
                # `of=`: the invite's joined team is an outer join, which PostgreSQL won't lock.
                invite = await session.scalar(
                    select(Invite).where(Invite.code == "COUNTER").with_for_update(of=Invite)
                )
                assert invite is not None
                seen = invite.uses_left
                await asyncio.sleep(0.001)  # let the other writers run between read and write
                invite.uses_left = seen + 1

        results = await asyncio.gather(
            *(increment(sessions if n % 2 else other_worker) for n in range(WRITERS)),
            return_exceptions=True,
        )

        assert [r for r in results if isinstance(r, BaseException)] == []
        async with sessions() as session:
            counter = await session.scalar(
                select(Invite.uses_left).where(Invite.code == "COUNTER")
            )
        assert counter == WRITERS
    finally:
        await engine.dispose()
        await other_engine.dispose()


async def test_engine_unit_of_work_error_rolls_back(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    try:
        with pytest.raises(RuntimeError):
            async with unit_of_work(sessions) as session:
                session.add(Team(name="不该存在"))
                await session.flush()
                raise RuntimeError("half-way")

        async with sessions() as session:
            assert await session.scalar(select(Team).where(Team.name == "不该存在")) is None
    finally:
        await engine.dispose()


async def test_engine_committed_objects_stay_readable(db_url: str) -> None:
    """`expire_on_commit=False`: a reply built after the commit needs no more I/O."""
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    try:
        async with unit_of_work(sessions) as session:
            team = Team(name="华北组")
            session.add(team)
        assert team.name == "华北组" and team.id is not None
        assert team.created_at.tzinfo is not None
    finally:
        await engine.dispose()


async def test_engine_datetimes_come_back_aware_utc(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    shanghai = datetime(2026, 3, 2, 9, 30, tzinfo=UTC) + timedelta(hours=8)
    try:
        async with unit_of_work(sessions) as session:
            session.add(Invite(code="TZ", role=Role.REP, expires_at=shanghai.astimezone()))
        async with sessions() as session:
            expires = await session.scalar(select(Invite.expires_at).where(Invite.code == "TZ"))
        assert expires == shanghai and expires.tzinfo == UTC
    finally:
        await engine.dispose()


async def test_engine_naive_datetime_is_refused(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = create_session_factory(engine)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with unit_of_work(sessions) as session:
                session.add(Invite(code="NAIVE", role=Role.REP, expires_at=datetime(2030, 1, 1)))
    finally:
        await engine.dispose()


async def test_engine_sqlite_connection_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    assert is_sqlite(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
            busy = await connection.scalar(text("PRAGMA busy_timeout"))
        assert (journal, foreign_keys) == ("wal", 1)
        assert busy >= 5_000
    finally:
        await engine.dispose()


async def test_engine_sqlite_statement_is_one_trip_to_the_database_thread(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each trip waits for a thread wake-up while the one connection is held; aiosqlite
    alone makes four per statement (cursor, execute, fetchall, close), plus BEGIN and the
    pool's rollback."""
    engine = create_engine(sqlite_url)
    trips = 0
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal trips
        trips += 1
        return await execute(self, fn, *args, **kwargs)

    try:
        async with engine.connect():
            pass  # the pool's first connection, made outside the count
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with engine.begin() as connection:
            rows = (await connection.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
            inserted = await connection.execute(
                text("INSERT INTO teams (name, created_at) VALUES ('华东二组', '2026-01-01')")
            )
        assert [tuple(row) for row in rows] == [(1,), (2,)]
        assert inserted.rowcount == 1
        assert trips == 3  # the two statements (the first with BEGIN IMMEDIATE), the COMMIT

        trips = 0
        async with engine.connect() as connection:
            await connection.execute(text("DELETE FROM teams"))
        assert trips == 2  # the statement, the ROLLBACK on close
        async with engine.connect() as connection:
            kept = await connection.scalar(text("SELECT count(*) FROM teams"))
        assert kept == 1
    finally:
        await engine.dispose()


async def test_engine_sqlite_streaming_read_begins_its_transaction(sqlite_url: str) -> None:
    """A streamed select first in a transaction must still take the write lock at BEGIN."""
    engine = create_engine(sqlite_url)
    contender = sqlite3.connect(make_url(sqlite_url).database or "", timeout=0.05)
    contender.isolation_level = None
    try:
        async with engine.begin() as connection:
            stream = await connection.stream(text("SELECT 1"))
            assert [tuple(row) async for row in stream] == [(1,)]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                contender.execute("BEGIN IMMEDIATE")
    finally:
        contender.close()
        await engine.dispose()


def test_engine_is_sqlite_tells_backends_apart() -> None:
    assert is_sqlite("sqlite+aiosqlite:///x.db")
    assert not is_sqlite("postgresql+asyncpg://postgres@localhost/salesbot")
