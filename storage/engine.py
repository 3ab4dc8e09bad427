"""Engine and session setup for SQLite (embedded) and PostgreSQL (team deployment)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""Long enough to outwait any single update's write transaction under load."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Make an engine; on SQLite: WAL, foreign keys, a busy timeout, `BEGIN IMMEDIATE`.

    SQLite's default deferred transactions take the write lock only at the first write, so two
    read-modify-write updates can both read the old value and one write is lost (or fails with
    "database is locked"). Taking the lock at BEGIN serialises writers safely.

    Within one process SQLite transactions also queue for a single pooled connection: writers
    run one at a time anyway, and a queue in the event loop hands the lock on at once, where
    connections contending inside SQLite would sleep in its busy handler (up to 100 ms a try).
    Other processes on the same file still meet the busy timeout.

    Statements go through :class:`OneTripSQLite`, one trip to aiosqlite's thread each; the
    `BEGIN IMMEDIATE` rides along with the transaction's first statement.
    """
    if not is_sqlite(url):
        # No pre-ping: it is a round trip before every transaction (about 1 ms of an update's
        # 6). A connection found dead invalidates the pool, and the router runs the update
        # again on a fresh one (`is_lost_connection`).
        return create_async_engine(url, **kwargs)

    kwargs.setdefault("pool_size", 1)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_async_engine(
        url,
        module=OneTripSQLite(aiosqlite, sqlite3),
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.connection.dbapi_connection.begin_pending = True

    return engine


class OneTripSQLite(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite driver, with each statement one trip to the database thread.

    aiosqlite makes a cursor's creation, `execute`, `fetchall` and `close` a trip each: four
    thread hand-offs per statement, each waiting for a thread to wake, while the one SQLite
    connection is held (see :func:`create_engine`). Here the thread runs all four at once.
    The transaction's `BEGIN IMMEDIATE` goes with its first statement, and the rollback that
    returns a connection to the pool is skipped when no transaction is open (after a commit):
    an update's transaction then costs one trip per statement plus its commit.
    Streaming (server-side) cursors keep aiosqlite's own cursor and fetch in batches.

    It queues work with aiosqlite's `_execute` on its `_conn`, the same internals SQLAlchemy's
    adapter uses (for isolation levels); every SQLite test runs through it.
    """

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        return _OneTripConnection(self, super().connect(*args, **kwargs)._connection)


class _OneTripAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return _OneTripCursor(self._adapt_connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor


class _StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._adapt_connection.begin_if_pending()
        return await super()._execute_async(operation, parameters)


class _OneTripCursor:
    """As much of an aiosqlite cursor as SQLAlchemy's adapter uses; rows are fetched with
    the statement, so `fetchall` and `close` need no trip."""

    arraysize = 1

    def __init__(self, adapter: _OneTripConnection) -> None:
        self._adapter = adapter
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def execute(self, sql: str, parameters: Any = ()) -> _OneTripCursor:
        return await self._run("execute", sql, parameters)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> _OneTripCursor:
        return await self._run("executemany", sql, parameters)

    async def _run(self, method: str, sql: str, parameters: Any) -> _OneTripCursor:
        begin, self._adapter.begin_pending = self._adapter.begin_pending, False
        connection = self._adapter._connection
        outcome = await connection._execute(
            _statement, connection._conn, begin, method, sql, parameters
        )
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_pending",)
    _cursor_cls = _OneTripAdaptedCursor
    _ss_cursor_cls = _StreamingCursor

    begin_pending: bool
    """SQLAlchemy began a transaction; `BEGIN IMMEDIATE` is sent with the next statement."""

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False

    async def begin_if_pending(self) -> None:
        if self.begin_pending:
            self.begin_pending = False
            await self._connection.execute(BEGIN)

    def _in_transaction(self) -> bool:
        """Read on the loop's thread: the connection is ours alone while checked out."""
        raw = self._connection._connection
        return raw is not None and raw.in_transaction

    def rollback(self) -> None:
        self.begin_pending = False
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        self.begin_pending = False
        if self._in_transaction():
            super().commit()


BEGIN = "BEGIN IMMEDIATE"


def _statement(
    connection: sqlite3.Connection, begin: bool, method: str, sql: str, parameters: Any
) -> tuple[Any, int, int | None, list[Any]]:
    """On the database thread: begin if asked, then run one statement to the end."""
    if begin:
        connection.execute(BEGIN)
    cursor = connection.cursor()
    try:
        getattr(cursor, method)(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def is_lost_connection(error: BaseException) -> bool:
    """The database connection was gone (a server restart), so nothing of the work was kept."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    async with factory() as session, session.begin():
        yield session
