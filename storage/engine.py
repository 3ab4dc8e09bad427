"""Engine and session setup for SQLite (embedded) and PostgreSQL (team deployment)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

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
SQLITE_LOOP_SLICE = 0.02
"""Seconds a transaction keeps the loop before it lets it go round (a long import's flush)."""
SQLITE_BUSY_PAUSE = (0.001, 0.05)
"""First and longest pause between tries for a lock another process holds."""
WAL_CHECKPOINT_SECONDS = 0.5
"""How often `WalCheckpointer` moves the WAL into the database: at 200 updates/s about 300
pages a time, so the WAL stays small and reads stay fast."""

logger = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, checkpoint_on_commit: bool = True, **kwargs: Any) -> AsyncEngine:
    """Make an engine; on SQLite: WAL, foreign keys, a busy timeout, `BEGIN IMMEDIATE`.

    SQLite's default deferred transactions take the write lock only at the first write, so two
    read-modify-write updates can both read the old value and one write is lost (or fails with
    "database is locked"). Taking the lock at BEGIN serialises writers safely.

    Within one process SQLite transactions also queue for a single pooled connection: writers
    run one at a time anyway, and a queue in the event loop hands the lock on at once, where
    connections contending inside SQLite would sleep in its busy handler (up to 100 ms a try).
    A lock held by another process (an import from the command line) is waited for without
    blocking the loop, for up to the busy timeout.

    Statements run through :class:`EventLoopSQLite`. Without `checkpoint_on_commit` a commit
    leaves the WAL to a :class:`WalCheckpointer`.
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
        module=EventLoopSQLite(aiosqlite, sqlite3),
        connect_args={"timeout": 0, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if not checkpoint_on_commit:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.connection.dbapi_connection.begin_pending = True

    return engine


class WalCheckpointer:
    """Moves a SQLite database's WAL into the database on a thread of its own.

    SQLite checkpoints in the connection that commits once the WAL has passed 1,000 pages; on
    the event loop's connection that commit copied 4 MB and synced it to disk, 10-20 ms every
    1.5 s at the Telegram bench's 200 updates/s and seconds after a large import, with every
    chat waiting. This thread checkpoints every `every` seconds instead, on a connection of its
    own, and once more when stopped; SQLite does the work without holding the GIL, so the loop
    runs on meanwhile. The loop's engine is made with `checkpoint_on_commit=False`; were this
    thread not running, the WAL would still be checkpointed when the last connection closes.
    """

    def __init__(self, url: str, *, every: float = WAL_CHECKPOINT_SECONDS) -> None:
        self._path = make_url(url).database or ""
        self._every = every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        try:
            while not self._stopping.wait(self._every):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                logger.warning("sqlite checkpoint failed: %s", error)
            # busy: another process is checkpointing; the next turn here catches up


class EventLoopSQLite(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite driver, with statements run on the event loop's own thread.

    aiosqlite runs every call on a thread of its own and wakes the loop for the answer. Under
    load that thread waits for the GIL behind the loop's Python work at every statement, while
    the one SQLite connection is held (see :func:`create_engine`). With the statements on the
    loop the Telegram bench's updates took about half the CPU (`docs/architecture.md`). An
    update's statements hit indexes and take microseconds, less than a hand-off costs.

    - The transaction's `BEGIN IMMEDIATE` goes with its first statement. It is where another
      process's lock is met; SQLite's busy timeout is 0, so a busy BEGIN sleeps on the loop
      and tries again (:func:`_patiently`), and the loop never blocks on a lock.
    - A transaction past 20 ms lets the loop go round before each statement, so a long flush
      (an import) lets the others in.
    - Bulk statements (`executemany`) and streamed reads (the search index's load) still go to
      aiosqlite's thread: they are long, and there the loop keeps running beside them.
    - The pool's rollback is skipped when no transaction is open (after a commit).

    It reaches aiosqlite's `_conn` and `_execute`, the internals SQLAlchemy's own adapter uses
    (for isolation levels); every SQLite test runs through it.
    """

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        return _LoopConnection(self, super().connect(*args, **kwargs)._connection)


class _LoopAdaptedCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False

    def _make_new_cursor(self, connection: Any) -> Any:
        return _LoopCursor(self._adapt_connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor


class _StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._adapt_connection.begin_if_pending()
        return await super()._execute_async(operation, parameters)


class _LoopCursor:
    """As much of an aiosqlite cursor as SQLAlchemy's adapter uses; rows are fetched with
    the statement, so `fetchall` and `close` have nothing left to do."""

    arraysize = 1

    def __init__(self, adapter: _LoopConnection) -> None:
        self._adapter = adapter
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def execute(self, sql: str, parameters: Any = ()) -> _LoopCursor:
        return self._keep(await self._adapter.run(_on_loop, "execute", sql, parameters))

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> _LoopCursor:
        return self._keep(await self._adapter.run(_on_thread, "executemany", sql, parameters))

    def _keep(self, outcome: _Outcome) -> _LoopCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


class _LoopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_slice_started", "begin_pending")
    _cursor_cls = _LoopAdaptedCursor
    _ss_cursor_cls = _StreamingCursor

    begin_pending: bool
    """SQLAlchemy began a transaction; `BEGIN IMMEDIATE` is sent with the next statement."""

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False
        self._slice_started = 0.0

    @property
    def raw(self) -> sqlite3.Connection:
        """The connection is ours alone while checked out, so the loop may use it directly."""
        return self._connection._conn

    async def run(self, where: _Runner, method: str, sql: str, parameters: Any) -> _Outcome:
        """Run a statement; in a transaction longer than `SQLITE_LOOP_SLICE`, let the loop go
        round first.

        Yielding at every statement would let other updates run while this one holds the
        connection, and everyone would wait longer for it.
        """
        begin, self.begin_pending = self.begin_pending, False
        now = time.perf_counter()
        if begin:
            self._slice_started = now
        elif now - self._slice_started > SQLITE_LOOP_SLICE:
            self._slice_started = now
            await asyncio.sleep(0)
        return await _patiently(
            lambda: where(
                self._connection, begin and not self.raw.in_transaction, method, sql, parameters
            )
        )

    async def begin_if_pending(self) -> None:
        if self.begin_pending:
            self.begin_pending = False
            await _patiently(self._begin)

    async def _begin(self) -> None:
        self.raw.execute(BEGIN)

    def _in_transaction(self) -> bool:
        raw = self._connection._connection
        return raw is not None and raw.in_transaction

    def rollback(self) -> None:
        self.begin_pending = False
        if self._in_transaction():
            self.raw.rollback()

    def commit(self) -> None:
        self.begin_pending = False
        if self._in_transaction():
            self.raw.commit()


BEGIN = "BEGIN IMMEDIATE"

T = TypeVar("T")
_Outcome = tuple[Any, int, int | None, list[Any]]
_Runner = Callable[[aiosqlite.Connection, bool, str, str, Any], Awaitable[_Outcome]]


async def _patiently(attempt: Callable[[], Awaitable[T]]) -> T:
    """Try until another process lets go of the database, sleeping on the loop between tries.

    A busy statement did nothing, so trying it again is safe; a BEGIN that went through is
    not sent again (see `run`). The deadline is set at the first busy try: every statement
    comes through here, and asking for the running loop cost each a `getpid` syscall.
    """
    deadline: float | None = None
    pause, longest = SQLITE_BUSY_PAUSE
    while True:
        try:
            return await attempt()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + SQLITE_BUSY_TIMEOUT_MS / 1000
            elif now > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, longest)


async def _on_loop(
    connection: aiosqlite.Connection, begin: bool, method: str, sql: str, parameters: Any
) -> _Outcome:
    return _statement(connection._conn, begin, method, sql, parameters)


async def _on_thread(
    connection: aiosqlite.Connection, begin: bool, method: str, sql: str, parameters: Any
) -> _Outcome:
    return await connection._execute(_statement, connection._conn, begin, method, sql, parameters)


def _statement(
    connection: sqlite3.Connection, begin: bool, method: str, sql: str, parameters: Any
) -> _Outcome:
    """Begin if asked, then run one statement to the end."""
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
    """One transaction: committed when the block ends, rolled back if it raises.

    SQLAlchemy's `async with session` closes the session in a task of its own, so that a
    cancellation cannot cut the close short; the caller then waits for the loop to go round
    twice, behind everything else ready to run: 10-70 ms an update at the Telegram bench's 200
    updates/s (`docs/architecture.md`). Once the transaction has ended the session holds no
    connection and its close cannot be cut short, so it runs here; only a transaction cut short
    itself gets the protected close, which rolls it back.

    Beginning (the connection is taken by the first statement) and that last close do no I/O,
    so they are called on the sync session: through the async one each would start a greenlet,
    and a greenlet's first Python frame maps fresh memory, then unmaps it (7 of its 9 µs here).
    """
    session = factory()
    session.sync_session.begin()
    try:
        yield session
        await session.commit()
    finally:
        if session.in_transaction():
            await asyncio.shield(session.close())
        else:
            session.sync_session.close()
