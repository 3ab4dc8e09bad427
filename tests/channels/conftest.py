"""Telegram fixtures: the fake Bot API, settings pointing at it, `salesbot run` in a task."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram import PLATFORM
from bot.cli import run
from bot.config import Settings
from storage.engine import create_engine, create_session_factory
from storage.models import Role, User
from storage.queries.users import bind_identity, get_or_create_team
from tests.channels.fake_bot_api import TOKEN, FakeBotApi

WEBHOOK_SECRET = "s3cret-token_for-tests"

Running = Callable[..., Awaitable[None]]


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def telegram_settings(sqlite_url: str, fake_api: FakeBotApi, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base_url=fake_api.base_url,
        telegram_api_base_file_url=fake_api.base_file_url,
        web_host="127.0.0.1",
        web_port=free_port(),
        media_dir=tmp_path / "media",
        push_poll_seconds=0.05,
    )


@pytest.fixture
def webhook_settings(telegram_settings: Settings) -> Settings:
    return telegram_settings.model_copy(
        update={
            "telegram_webhook_url": f"http://127.0.0.1:{telegram_settings.web_port}/telegram",
            "telegram_webhook_secret": SecretStr(WEBHOOK_SECRET),
        }
    )


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The test's own connection to the database `salesbot run` uses."""
    engine = create_engine(sqlite_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running(settings: Settings, api: FakeBotApi) -> AsyncIterator[None]:
    """`salesbot run` until the block ends, ready for updates when the block starts."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop=stop))
    ready = "setWebhook" if settings.telegram_webhook_url else "getUpdates"
    waiting = asyncio.create_task(api.wait_for(ready))
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        raise AssertionError(f"salesbot run ended early: {task.result()}")
    try:
        yield
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0


async def add_telegram_user(
    sessions: async_sessionmaker[AsyncSession],
    telegram_id: int,
    name: str,
    role: Role = Role.REP,
    *,
    team: str | None = "华东一组",
    language: str | None = "zh_CN",
) -> User:
    async with sessions() as session, session.begin():
        team_row = await get_or_create_team(session=session, name=team) if team else None
        user = User(
            name=name, role=role, team_id=team_row.id if team_row else None, language=language
        )
        session.add(user)
        await session.flush()
        await bind_identity(
            session=session,
            user=user,
            platform=PLATFORM,
            platform_user_id=str(telegram_id),
            chat_id=str(telegram_id),
        )
        return user
