"""The Alembic chain: empty → head → base, step by step, and head matching the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.migrate import alembic_config, downgrade, upgrade
from storage.models import Base

VERSION_TABLE = "alembic_version"


def _revisions() -> list[str]:
    """Every revision from the first to head, in order."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def _inspect(url: str, look: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {VERSION_TABLE}


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_migrations_empty_database_upgrades_to_head_with_every_table(
    empty_db_url: str,
) -> None:
    assert await _inspect(empty_db_url, _tables) == set()

    await upgrade(empty_db_url)

    assert await _inspect(empty_db_url, _tables) == set(Base.metadata.tables)
    assert await _inspect(empty_db_url, _current) == _revisions()[-1]


async def test_migrations_head_downgrades_to_base_leaving_no_tables(empty_db_url: str) -> None:
    await upgrade(empty_db_url)

    await downgrade(empty_db_url, "base")

    assert await _inspect(empty_db_url, _tables) == set()
    assert await _inspect(empty_db_url, _current) is None


async def test_migrations_each_step_upgrades_and_downgrades(empty_db_url: str) -> None:
    """Every revision goes up, down and up again, so each downgrade undoes its upgrade."""
    tables_at: dict[str | None, set[str]] = {None: set()}
    previous: str | None = None
    for revision in _revisions():
        await upgrade(empty_db_url, revision)
        tables_at[revision] = await _inspect(empty_db_url, _tables)
        await downgrade(empty_db_url, previous or "base")
        assert await _inspect(empty_db_url, _tables) == tables_at[previous], revision
        await upgrade(empty_db_url, revision)
        assert await _inspect(empty_db_url, _current) == revision
        previous = revision


async def test_migrations_head_matches_models(db_url: str) -> None:
    """An autogenerate against head finds nothing: the models and the migrations agree."""

    def differences(connection: Connection) -> list[Any]:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert await _inspect(db_url, differences) == []
