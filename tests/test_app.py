"""The assembled assistant's start and close."""

from __future__ import annotations

import threading

from sqlalchemy import text

from bot.app import App
from storage.engine import is_sqlite


def _checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoints"]


async def test_app_on_sqlite_checkpoints_off_the_loop_while_started(app: App) -> None:
    """On SQLite the app's commits leave the WAL to a thread that runs from start to close;
    PostgreSQL has no WAL of ours to mind."""
    before = set(_checkpointers())
    await app.start()
    started = set(_checkpointers()) - before
    if not is_sqlite(app.settings.database_url):
        assert started == set()
        return
    async with app.engine.connect() as connection:
        autocheckpoint = (await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
    await app.close()

    [thread] = started
    assert autocheckpoint == 0 and not thread.is_alive()
