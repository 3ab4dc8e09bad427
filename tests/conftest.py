"""Fixtures: a fresh, migrated database per test; the assembled app on a frozen clock.

`db_url` runs a test on SQLite always and on PostgreSQL too when `SALESBOT_TEST_DATABASE_URL`
points at a server (the PostgreSQL case is skipped, never failed, without it). On PostgreSQL
each test gets a schema of its own, under a role of its own, created empty and dropped
afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvloop
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import App
from bot.config import Settings
from bot.i18n import set_language
from bot.router import Router
from bot.services.demo import DemoSummary, load_demo
from storage.migrate import upgrade
from storage.models import User
from tests.support import FrozenClock, add_people

PG_VARIABLE = "SALESBOT_TEST_DATABASE_URL"
DATABASES = ["sqlite", "postgresql"]
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
"""A Monday morning in Shanghai; every test's clock starts here."""


def postgres_url() -> str | None:
    return os.environ.get(PG_VARIABLE) or None


@asynccontextmanager
async def fresh_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """An empty database of `kind` that exists only for the block; yields its URL."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'salesbot.db'}"
        return
    server = postgres_url()
    if server is None:
        pytest.skip(f"{PG_VARIABLE} is not set")
    async with _postgres_schema(server) as url:
        yield url


@asynccontextmanager
async def _postgres_schema(server: str) -> AsyncIterator[str]:
    """A role and a schema of the same fresh name; the role's search path is that schema.

    The URL (user = the role) is then all the app and Alembic need, exactly as in production,
    and a schema is made and dropped in milliseconds where a database takes a checkpoint.
    """
    name = f"salesbot_t_{uuid.uuid4().hex[:12]}"
    server_url = make_url(server)
    password = server_url.password
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            login = "LOGIN" + (f" PASSWORD '{password}'" if password else "")
            await connection.execute(text(f'CREATE ROLE "{name}" {login}'))
            await connection.execute(text(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
            await connection.execute(text(f'ALTER ROLE "{name}" SET search_path = "{name}"'))
        yield server_url.set(username=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"),
                {"n": name},
            )
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            await connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        await admin.dispose()


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Tests run on the event loop `salesbot` runs on."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """The router sets the language in a ContextVar; start every test from the default."""
    set_language("zh_CN")
    yield


@pytest.fixture(params=DATABASES)
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables) on SQLite and, when configured, PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head by Alembic once per session; tests get copies of it.

    Copying a file costs microseconds where running the chain costs more with every migration;
    the chain itself is exercised on empty databases in `tests/storage/test_migrations.py`.
    """
    path = tmp_path_factory.mktemp("template") / "salesbot.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def _copy_sqlite(template: Path, directory: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copy(source, directory / source.name)
    return f"sqlite+aiosqlite:///{directory / template.name}"


@pytest.fixture(params=DATABASES)
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> AsyncIterator[str]:
    """A database migrated to head with Alembic, on SQLite and, when configured, PostgreSQL."""
    if request.param == "sqlite":
        yield _copy_sqlite(migrated_sqlite, tmp_path)
        return
    async with fresh_database(request.param, tmp_path) as url:
        await upgrade(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A migrated SQLite database, for tests that are about something other than storage."""
    return _copy_sqlite(migrated_sqlite, tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[App]:
    app = App(settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
def router(app: App) -> Router:
    return app.router


@pytest.fixture
def sessions(app: App) -> async_sessionmaker[AsyncSession]:
    return app.sessions


@pytest.fixture
async def people(app: App) -> dict[str, User]:
    """The demo company's people with terminal identities, without its customers."""
    return await add_people(app.sessions)


@pytest.fixture
async def demo(app: App) -> DemoSummary:
    """The whole demo company: people, 300 customers, the product catalogue."""
    async with app.sessions() as session, session.begin():
        return await load_demo(session=session)
