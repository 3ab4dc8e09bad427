"""The assembled assistant: settings, database, router; what every entry point starts from."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from bot.config import Settings
from bot.router import Router, utc_now
from bot.services.objections import seed_objection_library
from bot.services.search.service import SearchService
from storage.engine import (
    WalCheckpointer,
    create_engine,
    create_session_factory,
    is_sqlite,
    unit_of_work,
)
from storage.migrate import upgrade


class App:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._checkpoints = (
            WalCheckpointer(settings.database_url) if is_sqlite(settings.database_url) else None
        )
        self.engine = create_engine(
            settings.database_url, checkpoint_on_commit=self._checkpoints is None
        )
        self.sessions = create_session_factory(self.engine)
        self.search = SearchService()
        self.router = Router(self.sessions, settings, clock=clock, search_service=self.search)

    async def upgrade(self) -> None:
        await upgrade(self.settings.database_url)

    async def start(self) -> None:
        """Migrate, then build the search index, so the first search is as fast as the rest."""
        await self.upgrade()
        if self._checkpoints is not None:
            self._checkpoints.start()
        async with unit_of_work(self.sessions) as session:
            await self.search.load(session=session)
            await seed_objection_library(session=session)

    async def close(self) -> None:
        if self._checkpoints is not None:
            await self._checkpoints.stop()
        await self.engine.dispose()


@contextmanager
def settled_heap() -> Iterator[None]:
    """While serving, keep what start-up built (the search indexes: hundreds of thousands of
    objects) out of the cyclic collector's sight.

    They live as long as the process, yet every full collection walked them all: a pause of
    100-200 ms every few seconds under load, the slowest replies of the Telegram bench.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


QUIET_LOGGERS = ("httpx", "httpcore", "alembic.runtime.migration")
"""httpx logs each request's URL, and a Telegram URL carries the bot token; Alembic announces
every start's (usually empty) upgrade, which would bury a command's own output."""


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
