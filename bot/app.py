"""The assembled assistant: settings, database, router; what every entry point starts from."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.router import Router, utc_now
from storage.engine import create_engine, create_session_factory
from storage.migrate import upgrade


class App:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = create_engine(settings.database_url)
        self.sessions = create_session_factory(self.engine)
        self.router = Router(self.sessions, settings, clock=clock)

    async def upgrade(self) -> None:
        await upgrade(self.settings.database_url)

    async def close(self) -> None:
        await self.engine.dispose()


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
