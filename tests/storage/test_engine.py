"""Engine and unit-of-work setup: concurrent writers lose nothing on either database."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import engine as engine_module
from storage.engine import (
    WalCheckpointer,
    create_engine,
    create_session_factory,
    is_sqlite,
    unit_of_work,
)
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


async def test_engine_unit_of_work_closes_its_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Committed or rolled back, the session ends closed: nothing stays attached to it."""
    async with unit_of_work(sessions) as committed:
        team = Team(name="华南组")
        committed.add(team)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as failed:
            failed.add(Team(name="不该存在"))
            raise RuntimeError("half-way")
    assert team not in committed and not committed.in_transaction()
    assert not list(failed) and not failed.in_transaction()
    assert committed.bind.pool.checkedout() == 0


async def test_engine_sqlite_unit_of_work_ends_without_queueing_on_the_loop(
    sqlite_url: str,
) -> None:
    """An update's transaction ends (commit, close) without waiting behind the other work
    ready on the loop: under load each such wait is a full round of it (SQLAlchemy's own
    `async with session` closes in a task of its own, two rounds)."""
    engine = create_engine(sqlite_url)
    others: list[str] = []
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            session.add(Team(name="西北组"))
            await session.flush()
            asyncio.get_running_loop().call_soon(others.append, "another update")
        ran_meanwhile = list(others)
    finally:
        await engine.dispose()
    assert ran_meanwhile == []


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
        assert (journal, foreign_keys) == ("wal", 1)
    finally:
        await engine.dispose()


async def test_engine_sqlite_statements_run_on_the_loop_and_bulk_on_the_thread(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand-off to aiosqlite's thread waits for the GIL behind the loop's work under load;
    an update's statements, BEGIN and COMMIT make none, a bulk insert still goes there."""
    engine = create_engine(sqlite_url)
    trips = 0
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal trips
        trips += 1
        return await execute(self, fn, *args, **kwargs)

    insert = text("INSERT INTO teams (name, created_at) VALUES (:name, '2026-01-01')")
    try:
        async with engine.connect():
            pass  # the pool's first connection, made outside the count
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        async with engine.begin() as connection:
            rows = (await connection.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
            inserted = await connection.execute(insert, {"name": "华东二组"})
        assert [tuple(row) for row in rows] == [(1,), (2,)]
        assert inserted.rowcount == 1
        assert trips == 0

        async with engine.begin() as connection:
            await connection.execute(insert, [{"name": "华南一组"}, {"name": "华南二组"}])
        assert trips == 1

        async with engine.connect() as connection:
            await connection.execute(text("DELETE FROM teams"))
        async with engine.connect() as connection:
            kept = await connection.scalar(text("SELECT count(*) FROM teams"))
        assert kept == 3  # the delete was rolled back on close
    finally:
        await engine.dispose()


class LoopTurns:
    """Watches the event loop while the block runs: how long it was ever kept from a turn."""

    def __init__(self) -> None:
        self.longest_gap = 0.0

    async def __aenter__(self) -> LoopTurns:
        self._task = asyncio.create_task(self._turn())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._task.cancel()

    async def _turn(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0)
            now = time.perf_counter()
            self.longest_gap = max(self.longest_gap, now - last)
            last = now


def _locked_by_another_process(sqlite_url: str) -> sqlite3.Connection:
    """A connection of another process (a CLI import) holding the write lock."""
    other = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def test_engine_sqlite_waits_for_another_process_without_blocking_the_loop(
    sqlite_url: str,
) -> None:
    """An import from the command line holds the write lock; the bot's next transaction waits
    for it while the loop goes on serving everyone else."""
    engine = create_engine(sqlite_url)
    other = _locked_by_another_process(sqlite_url)

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    releaser = asyncio.create_task(release())
    try:
        async with LoopTurns() as turns, engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO teams (name, created_at) VALUES ('华北', '2026-01-01')")
            )
        assert turns.longest_gap < 0.1
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM teams")) == 1
    finally:
        await releaser
        other.close()
        await engine.dispose()


async def test_engine_sqlite_long_transaction_lets_the_loop_go_round(sqlite_url: str) -> None:
    """Statements run on the loop; a long run of them (an import's flush) must still let the
    other chats be served in between. The commit is not watched: it writes the run's pages
    and syncs them to disk, which on a busy disk alone took longer than the bound."""
    engine = create_engine(sqlite_url)
    insert = text("INSERT INTO teams (name, created_at) VALUES (:n, '2026-01-01')")
    try:
        async with engine.begin() as connection, LoopTurns() as turns:
            started = time.perf_counter()
            names = iter(range(100_000))
            while time.perf_counter() - started < 0.3:
                await connection.execute(insert, {"n": f"组{next(names)}"})
        assert turns.longest_gap < 0.1
    finally:
        await engine.dispose()


async def test_engine_sqlite_checkpoints_on_a_thread_of_their_own(sqlite_url: str) -> None:
    """Commits on the loop leave the WAL alone (the database file does not grow past 1,000
    pages of WAL); the checkpointer's thread moves it into the database."""
    database = Path(make_url(sqlite_url).database or "")
    engine = create_engine(sqlite_url, checkpoint_on_commit=False)
    checkpoints = WalCheckpointer(sqlite_url, every=60)
    insert = text("INSERT INTO teams (name, created_at) VALUES (:n, '2026-01-01')")
    try:
        before = _size(database)
        for batch in range(3):
            async with engine.begin() as connection:
                names = [{"n": f"{batch}-{n}-" + "组" * 300} for n in range(1_000)]
                await connection.execute(insert, names)
        after_commits = _size(database)
        checkpoints.start()
        await checkpoints.stop()  # checkpoints once more as it stops
        assert after_commits == before
        assert _size(database) > before + 2_000_000
    finally:
        await checkpoints.stop()
        await engine.dispose()


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_engine_sqlite_gives_up_on_a_lock_after_the_busy_timeout(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    engine = create_engine(sqlite_url)
    other = _locked_by_another_process(sqlite_url)
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        other.close()
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
