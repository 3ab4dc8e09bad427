"""Saved dialog states: one per user and chat."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState

_LOCK = (
    select(DialogState)
    .where(DialogState.id == bindparam("id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def lock_dialog(*, session: AsyncSession, state: DialogState) -> DialogState | None:
    """Lock a state read without a lock (`find_sender`) and read it again; None when another
    update ended it meanwhile. On SQLite the transaction holds the database's write lock from
    its BEGIN IMMEDIATE, so what was read is current and needs no second trip."""
    if session.bind.dialect.name == "sqlite":
        return state
    return await session.scalar(_LOCK, {"id": state.id})


async def save_dialog(*, session: AsyncSession, state: DialogState) -> None:
    session.add(state)
    await session.flush()


async def drop_dialog(*, session: AsyncSession, user_id: int, channel: str, chat_id: str) -> None:
    await session.execute(
        delete(DialogState).where(
            DialogState.user_id == user_id,
            DialogState.channel == channel,
            DialogState.chat_id == chat_id,
        )
    )
